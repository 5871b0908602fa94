#pragma once
// The mode of the files that hold customer data.

#include <sys/types.h>

namespace gstream::core {

/// Events carry customer data (names, phone numbers, addresses), so every file that holds them
/// is created readable and writable by its owner only: the sinks' files, the write-ahead log's
/// segments and checkpoint, and the dead-letter database (SQLite gives its -wal and -shm files
/// the database's mode). A file that already exists keeps its mode.
inline constexpr mode_t kDataFileMode = 0600;

}  // namespace gstream::core
