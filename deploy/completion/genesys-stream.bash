# bash completion for genesys-stream (installed to share/bash-completion/completions/).
_genesys_stream() {
    local cur prev words cword
    _init_completion || return

    local subcommand="" i
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            run | check-config | validate | dlq | emulate) subcommand="${words[i]}"; break ;;
        esac
    done

    case "$prev" in
        --config | -c | --file | --schema | --replay | --tls-cert | --tls-key)
            _filedir
            return ;;
        --schema-dir | --schemas-dir)
            _filedir -d
            return ;;
        --protocol)
            COMPREPLY=($(compgen -W "envelope notifications" -- "$cur"))
            return ;;
    esac

    local options
    case "$subcommand" in
        "") options="run check-config validate dlq emulate --help --version --schema-dir" ;;
        run) options="--config --once --help --schema-dir" ;;
        check-config) options="--print --schema --help --schema-dir" ;;
        validate) options="--event-type --schema --schemas-dir --help --schema-dir" ;;
        dlq) options="list show purge replay --config --file --reason --since --until --limit --json
                      --all --yes --dry-run --help" ;;
        emulate) options="--listen --protocol --replay --rate --stay --client-id --client-secret
                          --tls-cert --tls-key --events --events-per-message --seed --queues --help" ;;
    esac
    if [[ "$cur" == -* || "$subcommand" == "" || "$subcommand" == dlq ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
        _filedir
    fi
}
complete -F _genesys_stream genesys-stream
