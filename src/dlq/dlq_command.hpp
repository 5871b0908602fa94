#pragma once
// `genesys-stream dlq list|show|purge|replay`: the operator's view of the dead-letter queue.
//
// Every subcommand finds the SQLite file from `--config FILE` (dead_letter.path) or `--file PATH`
// (which wins). Exit codes: 0 success; 1 `show` of an absent id, or a sink failure during replay;
// 2 bad arguments, an unreadable configuration or queue file (one line on stderr, never a crash).
// See docs/operations.md, "Dead-letter queue".

namespace CLI {
class App;
}

namespace gstream::dlq {

/// Adds the `dlq` subcommand to `app`. Its arguments are parsed by the command itself (so that
/// every argument error exits with code 2, whatever CLI11's own codes are).
void register_dlq_command(CLI::App& app);

}  // namespace gstream::dlq
