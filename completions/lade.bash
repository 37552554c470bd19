_lade() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    if [[ "${prev}" == "=" && ${COMP_CWORD} -ge 2 ]]; then
        case "${COMP_WORDS[COMP_CWORD-2]}" in
            --dest)
                COMPREPLY=($(compgen -W "docker dir" -- "${cur}"))
                return 0
                ;;
            --dest-compress-format)
                COMPREPLY=($(compgen -W "gzip zstd none" -- "${cur}"))
                return 0
                ;;
            --dest-tls-verify)
                COMPREPLY=($(compgen -W "true false" -- "${cur}"))
                return 0
                ;;
            --format)
                local w
                for w in "${COMP_WORDS[@]:1:COMP_CWORD-2}"; do
                    case "${w}" in
                        copy|sync)
                            COMPREPLY=($(compgen -W "oci v2s2" -- "${cur}"))
                            return 0
                            ;;
                        inspect) break ;;
                    esac
                done
                ;;
            --manifest-digest)
                COMPREPLY=($(compgen -W "sha256 sha512" -- "${cur}"))
                return 0
                ;;
            --multi-arch)
                COMPREPLY=($(compgen -W "system all index-only" -- "${cur}"))
                return 0
                ;;
            --progress)
                COMPREPLY=($(compgen -W "auto lines json plain none" -- "${cur}"))
                return 0
                ;;
            --src)
                COMPREPLY=($(compgen -W "docker dir yaml" -- "${cur}"))
                return 0
                ;;
            --src-tls-verify)
                COMPREPLY=($(compgen -W "true false" -- "${cur}"))
                return 0
                ;;
            --tls-verify)
                COMPREPLY=($(compgen -W "true false" -- "${cur}"))
                return 0
                ;;
            --to)
                COMPREPLY=($(compgen -W "oci docker" -- "${cur}"))
                return 0
                ;;
            --with-referrers)
                COMPREPLY=($(compgen -W "true false" -- "${cur}"))
                return 0
                ;;
        esac
    fi
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="lade"
                ;;
            lade,cat-blob)
                cmd="lade__subcmd__cat__subcmd__blob"
                ;;
            lade,cat-config)
                cmd="lade__subcmd__cat__subcmd__config"
                ;;
            lade,cat-manifest)
                cmd="lade__subcmd__cat__subcmd__manifest"
                ;;
            lade,convert)
                cmd="lade__subcmd__convert"
                ;;
            lade,copy)
                cmd="lade__subcmd__copy"
                ;;
            lade,delete)
                cmd="lade__subcmd__delete"
                ;;
            lade,du)
                cmd="lade__subcmd__du"
                ;;
            lade,fsck)
                cmd="lade__subcmd__fsck"
                ;;
            lade,gc)
                cmd="lade__subcmd__gc"
                ;;
            lade,hash-object)
                cmd="lade__subcmd__hash__subcmd__object"
                ;;
            lade,help)
                cmd="lade__subcmd__help"
                ;;
            lade,inspect)
                cmd="lade__subcmd__inspect"
                ;;
            lade,list-tags)
                cmd="lade__subcmd__list__subcmd__tags"
                ;;
            lade,login)
                cmd="lade__subcmd__login"
                ;;
            lade,logout)
                cmd="lade__subcmd__logout"
                ;;
            lade,ls-refs)
                cmd="lade__subcmd__ls__subcmd__refs"
                ;;
            lade,manifest-digest)
                cmd="lade__subcmd__manifest__subcmd__digest"
                ;;
            lade,sync)
                cmd="lade__subcmd__sync"
                ;;
            lade,tag)
                cmd="lade__subcmd__tag"
                ;;
            lade,unpack)
                cmd="lade__subcmd__unpack"
                ;;
            lade,unpack-layer)
                cmd="lade__subcmd__unpack__subcmd__layer"
                ;;
            lade,untag)
                cmd="lade__subcmd__untag"
                ;;
            lade__subcmd__help,cat-blob)
                cmd="lade__subcmd__help__subcmd__cat__subcmd__blob"
                ;;
            lade__subcmd__help,cat-config)
                cmd="lade__subcmd__help__subcmd__cat__subcmd__config"
                ;;
            lade__subcmd__help,cat-manifest)
                cmd="lade__subcmd__help__subcmd__cat__subcmd__manifest"
                ;;
            lade__subcmd__help,convert)
                cmd="lade__subcmd__help__subcmd__convert"
                ;;
            lade__subcmd__help,copy)
                cmd="lade__subcmd__help__subcmd__copy"
                ;;
            lade__subcmd__help,delete)
                cmd="lade__subcmd__help__subcmd__delete"
                ;;
            lade__subcmd__help,du)
                cmd="lade__subcmd__help__subcmd__du"
                ;;
            lade__subcmd__help,fsck)
                cmd="lade__subcmd__help__subcmd__fsck"
                ;;
            lade__subcmd__help,gc)
                cmd="lade__subcmd__help__subcmd__gc"
                ;;
            lade__subcmd__help,hash-object)
                cmd="lade__subcmd__help__subcmd__hash__subcmd__object"
                ;;
            lade__subcmd__help,help)
                cmd="lade__subcmd__help__subcmd__help"
                ;;
            lade__subcmd__help,inspect)
                cmd="lade__subcmd__help__subcmd__inspect"
                ;;
            lade__subcmd__help,list-tags)
                cmd="lade__subcmd__help__subcmd__list__subcmd__tags"
                ;;
            lade__subcmd__help,login)
                cmd="lade__subcmd__help__subcmd__login"
                ;;
            lade__subcmd__help,logout)
                cmd="lade__subcmd__help__subcmd__logout"
                ;;
            lade__subcmd__help,ls-refs)
                cmd="lade__subcmd__help__subcmd__ls__subcmd__refs"
                ;;
            lade__subcmd__help,manifest-digest)
                cmd="lade__subcmd__help__subcmd__manifest__subcmd__digest"
                ;;
            lade__subcmd__help,sync)
                cmd="lade__subcmd__help__subcmd__sync"
                ;;
            lade__subcmd__help,tag)
                cmd="lade__subcmd__help__subcmd__tag"
                ;;
            lade__subcmd__help,unpack)
                cmd="lade__subcmd__help__subcmd__unpack"
                ;;
            lade__subcmd__help,unpack-layer)
                cmd="lade__subcmd__help__subcmd__unpack__subcmd__layer"
                ;;
            lade__subcmd__help,untag)
                cmd="lade__subcmd__help__subcmd__untag"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        lade__subcmd__copy)
            case "${prev}" in
                --additional-tag|--authfile|--command-timeout|--dest-authfile|--dest-cert-dir|--dest-compress-format|--dest-compress-level|--dest-creds|--dest-daemon-host|--dest-password|--dest-registry-token|--dest-shared-blob-dir|--dest-tls-verify|--dest-username|--digestfile|--format|--image-parallel-copies|--multi-arch|--override-arch|--override-os|--override-variant|--platform|--policy|--progress|--registries-conf|--registries.d|--retry-delay|--retry-times|--src-authfile|--src-cert-dir|--src-creds|--src-daemon-host|--src-password|--src-registry-token|--src-shared-blob-dir|--src-tls-verify|--src-username|--store|--tls-details|--tmpdir|--user-agent-prefix|--with-referrers|-f) ;;
                *)
                    if [[ -n "${cur}" && "${cur}" != -* && "${cur}" != *:* && "${prev}" != "=" ]]; then
                        local t
                        t=$(compgen -W "dir: docker:// docker-daemon: docker-archive: oci: oci-archive:" -- "${cur}")
                        if [[ -n "${t}" ]]; then
                            COMPREPLY=(${t})
                            compopt -o nospace 2>/dev/null
                            return 0
                        fi
                    fi
                    ;;
            esac
            ;;
        lade__subcmd__sync)
            case "${prev}" in
                --append-suffix|--authfile|--command-timeout|--dest|--dest-authfile|--dest-cert-dir|--dest-creds|--dest-password|--dest-registry-token|--dest-tls-verify|--dest-username|--digestfile|--format|--image-parallel-copies|--jobs|--multi-arch|--override-arch|--override-os|--override-variant|--platform|--policy|--progress|--registries-conf|--registries.d|--retry-delay|--retry-times|--src|--src-authfile|--src-cert-dir|--src-creds|--src-password|--src-registry-token|--src-tls-verify|--src-username|--store|--tag-regex|--tls-details|--tmpdir|--user-agent-prefix|--with-referrers|-d|-f|-j|-s) ;;
                *)
                    if [[ -n "${cur}" && "${cur}" != -* && "${cur}" != *:* && "${prev}" != "=" ]]; then
                        local t
                        t=$(compgen -W "dir: docker:// docker-archive: oci: oci-archive:" -- "${cur}")
                        if [[ -n "${t}" ]]; then
                            COMPREPLY=(${t})
                            compopt -o nospace 2>/dev/null
                            return 0
                        fi
                    fi
                    ;;
            esac
            ;;
        lade__subcmd__inspect)
            case "${prev}" in
                --authfile|--cert-dir|--command-timeout|--creds|--daemon-host|--format|--manifest-digest|--override-arch|--override-os|--override-variant|--password|--policy|--registries-conf|--registries.d|--registry-token|--retry-delay|--retry-times|--shared-blob-dir|--store|--tls-details|--tls-verify|--tmpdir|--user-agent-prefix|--username|-f) ;;
                *)
                    if [[ -n "${cur}" && "${cur}" != -* && "${cur}" != *:* && "${prev}" != "=" ]]; then
                        local t
                        t=$(compgen -W "dir: docker:// docker-daemon: docker-archive: oci: oci-archive:" -- "${cur}")
                        if [[ -n "${t}" ]]; then
                            COMPREPLY=(${t})
                            compopt -o nospace 2>/dev/null
                            return 0
                        fi
                    fi
                    ;;
            esac
            ;;
        lade__subcmd__list__subcmd__tags)
            case "${prev}" in
                --authfile|--cert-dir|--command-timeout|--creds|--override-arch|--override-os|--override-variant|--password|--policy|--registries-conf|--registries.d|--registry-token|--retry-delay|--retry-times|--store|--tls-details|--tls-verify|--tmpdir|--user-agent-prefix|--username) ;;
                *)
                    if [[ -n "${cur}" && "${cur}" != -* && "${cur}" != *:* && "${prev}" != "=" ]]; then
                        local t
                        t=$(compgen -W "docker:// docker-archive:" -- "${cur}")
                        if [[ -n "${t}" ]]; then
                            COMPREPLY=(${t})
                            compopt -o nospace 2>/dev/null
                            return 0
                        fi
                    fi
                    ;;
            esac
            ;;
        lade__subcmd__delete)
            case "${prev}" in
                --authfile|--cert-dir|--command-timeout|--creds|--daemon-host|--override-arch|--override-os|--override-variant|--password|--policy|--registries-conf|--registries.d|--registry-token|--retry-delay|--retry-times|--shared-blob-dir|--store|--tls-details|--tls-verify|--tmpdir|--user-agent-prefix|--username) ;;
                *)
                    if [[ -n "${cur}" && "${cur}" != -* && "${cur}" != *:* && "${prev}" != "=" ]]; then
                        local t
                        t=$(compgen -W "docker:// docker-daemon: oci:" -- "${cur}")
                        if [[ -n "${t}" ]]; then
                            COMPREPLY=(${t})
                            compopt -o nospace 2>/dev/null
                            return 0
                        fi
                    fi
                    ;;
            esac
            ;;
        lade__subcmd__unpack)
            case "${prev}" in
                --authfile|--cert-dir|--command-timeout|--creds|--override-arch|--override-os|--override-variant|--password|--platform|--policy|--registries-conf|--registries.d|--registry-token|--retry-delay|--retry-times|--store|--tls-details|--tls-verify|--tmpdir|--user-agent-prefix|--username) ;;
                *)
                    if [[ -n "${cur}" && "${cur}" != -* && "${cur}" != *:* && "${prev}" != "=" ]]; then
                        local t
                        t=$(compgen -W "dir: docker:// docker-daemon: docker-archive: oci: oci-archive:" -- "${cur}")
                        if [[ -n "${t}" ]]; then
                            COMPREPLY=(${t} $(compgen -f -- "${cur}"))
                            compopt -o nospace 2>/dev/null
                            return 0
                        fi
                    fi
                    ;;
            esac
            ;;
    esac
    case "${cmd}" in
        lade)
            opts="-v -h --version --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__cat__subcmd__blob)
            opts="-e -h --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__cat__subcmd__config)
            opts="-e -h --platform --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --platform)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__cat__subcmd__manifest)
            opts="-e -h --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__convert)
            opts="-h --to --tag --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --to)
                    COMPREPLY=($(compgen -W "oci docker" -- "${cur}"))
                    return 0
                    ;;
                --tag)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__copy)
            opts="-a -f -q -h --all-images --all --multi-arch --platform --format --dest-compress-format --dest-force-compress-format --dest-compress --dest-decompress --dest-oci-accept-uncompressed-layers --dest-compress-level --dest-precompute-digests --preserve-digests --image-parallel-copies --digestfile --with-referrers --remove-signatures --additional-tag --src-daemon-host --dest-daemon-host --src-shared-blob-dir --dest-shared-blob-dir --quiet --progress --src-creds --dest-creds --src-registry-token --dest-registry-token --src-username --src-password --dest-username --dest-password --src-no-creds --dest-no-creds --authfile --src-authfile --dest-authfile --src-tls-verify --dest-tls-verify --src-cert-dir --dest-cert-dir --retry-times --retry-delay --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --multi-arch)
                    COMPREPLY=($(compgen -W "system all index-only" -- "${cur}"))
                    return 0
                    ;;
                --platform)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "oci v2s2" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "oci v2s2" -- "${cur}"))
                    return 0
                    ;;
                --dest-compress-format)
                    COMPREPLY=($(compgen -W "gzip zstd none" -- "${cur}"))
                    return 0
                    ;;
                --dest-compress-level)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --image-parallel-copies)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --digestfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --additional-tag)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-daemon-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-daemon-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-shared-blob-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-shared-blob-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --progress)
                    COMPREPLY=($(compgen -W "auto lines json plain none" -- "${cur}"))
                    return 0
                    ;;
                --src-creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-times)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-delay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__delete)
            opts="-h --daemon-host --shared-blob-dir --creds --username --password --no-creds --registry-token --authfile --tls-verify --cert-dir --retry-times --retry-delay --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --daemon-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --shared-blob-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-times)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-delay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__du)
            opts="-s -H -z -h --summarize --human-readable --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__fsck)
            opts="-h --unreachable --full --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__gc)
            opts="-n -h --dry-run --grace --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --grace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__hash__subcmd__object)
            opts="-w -t -z -h --stdin --stdin-paths --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -t)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help)
            opts="copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__cat__subcmd__blob)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__cat__subcmd__config)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__cat__subcmd__manifest)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__convert)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__copy)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__du)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__fsck)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__gc)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__hash__subcmd__object)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__inspect)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__list__subcmd__tags)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__login)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__logout)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__ls__subcmd__refs)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__manifest__subcmd__digest)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__sync)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__tag)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__unpack)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__unpack__subcmd__layer)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__help__subcmd__untag)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__inspect)
            opts="-f -n -h --raw --config --daemon-host --shared-blob-dir --all-platforms --format --no-tags --manifest-digest --creds --username --password --no-creds --registry-token --authfile --tls-verify --cert-dir --retry-times --retry-delay --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --daemon-host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --shared-blob-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --manifest-digest)
                    COMPREPLY=($(compgen -W "sha256 sha512" -- "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-times)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-delay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__list__subcmd__tags)
            opts="-h --creds --username --password --no-creds --registry-token --authfile --tls-verify --cert-dir --retry-times --retry-delay --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-times)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-delay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__login)
            opts="-u -p -v -h --username --password --password-stdin --authfile --compat-auth-file --tls-verify --cert-dir --get-login --verbose --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -u)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -p)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --compat-auth-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__logout)
            opts="-a -h --all --authfile --compat-auth-file --tls-verify --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --compat-auth-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__ls__subcmd__refs)
            opts="-z -h --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__manifest__subcmd__digest)
            opts="-h --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__sync)
            opts="-s -d -j -n -k -a -f -q -h --src --dest --scoped --append-suffix --digestfile --tag-regex --jobs --dry-run --keep-going --with-referrers --remove-signatures --all --multi-arch --platform --format --preserve-digests --image-parallel-copies --quiet --progress --src-creds --dest-creds --src-registry-token --dest-registry-token --src-username --src-password --dest-username --dest-password --src-no-creds --dest-no-creds --authfile --src-authfile --dest-authfile --src-tls-verify --dest-tls-verify --src-cert-dir --dest-cert-dir --retry-times --retry-delay --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --src)
                    COMPREPLY=($(compgen -W "docker dir yaml" -- "${cur}"))
                    return 0
                    ;;
                -s)
                    COMPREPLY=($(compgen -W "docker dir yaml" -- "${cur}"))
                    return 0
                    ;;
                --dest)
                    COMPREPLY=($(compgen -W "docker dir" -- "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -W "docker dir" -- "${cur}"))
                    return 0
                    ;;
                --append-suffix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --digestfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tag-regex)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -j)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --multi-arch)
                    COMPREPLY=($(compgen -W "system all index-only" -- "${cur}"))
                    return 0
                    ;;
                --platform)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "oci v2s2" -- "${cur}"))
                    return 0
                    ;;
                -f)
                    COMPREPLY=($(compgen -W "oci v2s2" -- "${cur}"))
                    return 0
                    ;;
                --image-parallel-copies)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --progress)
                    COMPREPLY=($(compgen -W "auto lines json plain none" -- "${cur}"))
                    return 0
                    ;;
                --src-creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --src-cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dest-cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-times)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-delay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__tag)
            opts="-h --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__unpack)
            opts="-q -h --bundle --rootless --platform --quiet --creds --username --password --no-creds --registry-token --authfile --tls-verify --cert-dir --retry-times --retry-delay --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --platform)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --creds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --username)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registry-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --authfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cert-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-times)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retry-delay)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__unpack__subcmd__layer)
            opts="-h --rootless --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        lade__subcmd__untag)
            opts="-h --store --command-timeout --tmpdir --debug --registries-conf --insecure-policy --policy --registries.d --require-signed --tls-details --user-agent-prefix --override-os --override-arch --override-variant --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --store)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --command-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tmpdir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries-conf)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --registries.d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tls-details)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --user-agent-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-os)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-arch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --override-variant)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _lade -o nosort -o bashdefault -o default lade
else
    complete -F _lade -o bashdefault -o default lade
fi
