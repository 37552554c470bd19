# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_lade_global_optspecs
    string join \n v/version store= command-timeout= tmpdir= debug registries-conf= insecure-policy policy= registries-d= require-signed tls-details= user-agent-prefix= override-os= override-arch= override-variant= h/help
end

function __fish_lade_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    set cmd (string replace -r -- '^--registries\.d' '--registries-d' $cmd)
    argparse -s (__fish_lade_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_lade_using_subcommand
    set -l cmd (__fish_lade_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c lade -n "__fish_lade_needs_command" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_needs_command" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_needs_command" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_needs_command" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_needs_command" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_needs_command" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_needs_command" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_needs_command" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_needs_command" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_needs_command" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_needs_command" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_needs_command" -s v -l version -d 'Print version'
complete -c lade -n "__fish_lade_needs_command" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_needs_command" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_needs_command" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lade -n "__fish_lade_needs_command" -f -a "copy" -d 'Copy images between transports (registries, archives, layouts, directories)'
complete -c lade -n "__fish_lade_needs_command" -f -a "sync" -d 'Copy every tag of a repository (or every image of a layout) into another'
complete -c lade -n "__fish_lade_needs_command" -f -a "inspect" -d 'Show an image\'s metadata as JSON, or its raw manifest or config'
complete -c lade -n "__fish_lade_needs_command" -f -a "convert" -d 'Rewrite a store image between Docker v2s2 and OCI manifests'
complete -c lade -n "__fish_lade_needs_command" -f -a "hash-object" -d 'Compute the digest of files or stdin, and optionally store them'
complete -c lade -n "__fish_lade_needs_command" -f -a "cat-blob" -d 'Print a blob\'s bytes from the store'
complete -c lade -n "__fish_lade_needs_command" -f -a "cat-manifest" -d 'Print the exact manifest (or index) bytes of a store ref'
complete -c lade -n "__fish_lade_needs_command" -f -a "cat-config" -d 'Print the exact image config bytes of a store ref'
complete -c lade -n "__fish_lade_needs_command" -f -a "ls-refs" -d 'List the refs in the store: name, digest, media type, size'
complete -c lade -n "__fish_lade_needs_command" -f -a "tag" -d 'Point a new ref at the image SRC names'
complete -c lade -n "__fish_lade_needs_command" -f -a "untag" -d 'Remove a ref (the image\'s blobs stay until gc)'
complete -c lade -n "__fish_lade_needs_command" -f -a "fsck" -d 'Verify every blob and every reference in the store'
complete -c lade -n "__fish_lade_needs_command" -f -a "gc" -d 'Remove blobs that no ref reaches'
complete -c lade -n "__fish_lade_needs_command" -f -a "du" -d 'Show the bytes each ref\'s image takes, and what untag and gc would free'
complete -c lade -n "__fish_lade_needs_command" -f -a "manifest-digest" -d 'Print the digest of a manifest file'
complete -c lade -n "__fish_lade_needs_command" -f -a "list-tags" -d 'List the tags of a registry repository (docker://REPO) or of the images of a docker-archive'
complete -c lade -n "__fish_lade_needs_command" -f -a "delete" -d 'Delete an image (docker://REF: the manifest the tag or digest names; oci:PATH:REF: the ref, its blobs left to lade gc; docker-daemon:NAME: that name, as docker rmi)'
complete -c lade -n "__fish_lade_needs_command" -f -a "login" -d 'Store credentials for a registry in the auth file'
complete -c lade -n "__fish_lade_needs_command" -f -a "logout" -d 'Remove stored credentials for a registry'
complete -c lade -n "__fish_lade_needs_command" -f -a "unpack-layer" -d 'Apply one layer (a tar, gzip or zstd) onto a directory'
complete -c lade -n "__fish_lade_needs_command" -f -a "unpack" -d 'Unpack an image\'s layers into a directory (or an OCI runtime bundle)'
complete -c lade -n "__fish_lade_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l multi-arch -d 'For a multi-platform index: what to copy [default: system for copy, all for sync (system with --override-*)]' -r -f -a "system\t'The image for this machine (or the one --override-* name)'
all\t'The whole index and every image in it'
index-only\t'The index alone; its images must be at the destination already (a registry or oci: layout)'"
complete -c lade -n "__fish_lade_using_subcommand copy" -l platform -d 'For a multi-platform index: copy these platforms under a new index (repeatable); a single image must be for one of them' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -s f -l format -d 'Manifest format to write (oci: and oci-archive: hold Docker v2s2 images when asked to) [default: the source\'s, if the destination takes it; into oci: and oci-archive:, OCI]' -r -f -a "oci\t'OCI image manifest'
v2s2\t'Docker v2 schema 2'"
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-compress-format -d 'Layer compression to write; zstd turns a Docker v2s2 image into an OCI one, unless --format v2s2 (refused) [default: keep the source\'s; into docker://, uncompressed layers are gzipped, as docker push and skopeo send them (not with --preserve-digests)]' -r -f -a "gzip\t''
zstd\t''
none\t''"
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-compress-level -d 'Compression level (gzip 1-9, zstd 1-22; 20-22 take far more memory). Without it gzip stores incompressible blocks, gives long repeats level 3 and the rest zlib\'s lazy matcher with a short search (smaller output than level 6 for about 1.2x level 3\'s CPU on the bench image); zstd uses level 3' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l image-parallel-copies -d 'Copy up to N blobs of an image at once, where both sides allow more than one [default (or 0): 6 to or from a registry, else one per CPU; layers gzipped out of docker-daemon: into a registry, one per CPU, at most 6]; at most 256' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l digestfile -d 'Write the digest of the copied manifest to FILE (several images: a line per image, "DIGEST SOURCE")' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l with-referrers -d 'Also copy the image\'s signatures and referrers (cosign\'s sha256-HEX.sig/.att/.sbom tags, OCI 1.1 referrers) to a docker://, oci: or oci-archive: destination' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand copy" -l additional-tag -d 'Another name for the image in a docker-archive or docker-daemon: destination (repeatable)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-daemon-host -d 'Docker Engine of a docker-daemon: source [default: $DOCKER_HOST, else unix:///var/run/docker.sock]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-daemon-host -d 'Docker Engine of a docker-daemon: destination [default: $DOCKER_HOST, else unix:///var/run/docker.sock]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-shared-blob-dir -d 'An oci: source\'s blobs are in DIR (DIR/ALG/HEX), which layouts share, not in its blobs/' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-shared-blob-dir -d 'An oci: destination\'s blobs go into DIR (DIR/ALG/HEX, made when missing), which layouts share, not into its blobs/' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l progress -d 'Progress on stderr: bars or lines (auto), lines, or JSON lines (json)' -r -f -a "auto\t''
lines\t''
json\t''"
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-creds -d 'docker:// source: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-creds -d 'docker:// destination: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-registry-token -d 'docker:// source: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-registry-token -d 'docker:// destination: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-username -d 'docker:// source: user name, with --src-password (as --src-creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-password -d 'docker:// source: password, with --src-username' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-username -d 'docker:// destination: user name, with --dest-password (as --dest-creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-password -d 'docker:// destination: password, with --dest-username' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l authfile -d 'docker://: read credentials from FILE only (both sides)' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-authfile -d 'docker:// source: read credentials from FILE only [default: --authfile]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-authfile -d 'docker:// destination: read credentials from FILE only [default: --authfile]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-tls-verify -d 'docker:// source: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-tls-verify -d 'docker:// destination: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-cert-dir -d 'docker:// source: certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-cert-dir -d 'docker:// destination: certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l retry-times -d 'docker://: retries after 5xx, 429 and connection errors (a manifest cut short is asked for again; a blob whose resume the registry refuses is read again whole)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l retry-delay -d 'docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand copy" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand copy" -l all-images -d 'Copy every image the source holds (multi-image archives and layouts), each under its own name'
complete -c lade -n "__fish_lade_using_subcommand copy" -s a -l all -d 'For a multi-platform index: copy the index and every image, keeping its digest unless something is converted (a Docker list into oci: or oci-archive:, kept as it is with --preserve-digests; copy gzips uncompressed layers for a registry unless --preserve-digests, sync never does)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-force-compress-format -d 'skopeo\'s: every layer in --dest-compress-format\'s algorithm, no blob compressed otherwise reused (what lade does with --dest-compress-format alone)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-compress -d 'skopeo\'s: compress every layer (gzip, or --dest-compress-format\'s)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-decompress -d 'skopeo\'s: write every layer uncompressed (--dest-compress-format none)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-oci-accept-uncompressed-layers -d 'skopeo\'s: layers go into oci: as they are, compressed or not (what lade does without it too)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-precompute-digests -d 'Make each layer compressed on the way (a docker-archive\'s or the Docker Engine\'s, into a registry) in a temp file first (--tmpdir), and send none the destination has by its digest'
complete -c lade -n "__fish_lade_using_subcommand copy" -l preserve-digests -d 'Fail if any manifest digest would change; a Docker v2s2 image goes into oci: or oci-archive: as it is, not converted to OCI'
complete -c lade -n "__fish_lade_using_subcommand copy" -l remove-signatures -d 'skopeo\'s: copy no signatures (nor referrers): --with-referrers=false'
complete -c lade -n "__fish_lade_using_subcommand copy" -s q -l quiet -d 'Print nothing but errors (--progress=json, if given, still writes its events)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l src-no-creds -d 'docker:// source: no credentials (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand copy" -l dest-no-creds -d 'docker:// destination: no credentials (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand copy" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand copy" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand copy" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lade -n "__fish_lade_using_subcommand sync" -s s -l src -d 'SOURCE is named without a transport, and may list many repositories: docker (HOST/REPO: every tag; or one image), dir (a directory of dir: images, at any depth) or yaml (a file of registries and repositories)' -r -f -a "docker\t'HOST/REPO (every tag), HOST/REPO:TAG or HOST/REPO@DIGEST'
dir\t'A directory holding dir: images (NAME:TAG directories), at any depth'
yaml\t'A YAML file listing registries and their repositories'"
complete -c lade -n "__fish_lade_using_subcommand sync" -s d -l dest -d 'DESTINATION is a prefix: docker (HOST[/NAMESPACE]: each repository lands as HOST/NAMESPACE/NAME, NAME the source\'s last path component) or dir (a directory: each image as DIR/NAME:TAG)' -r -f -a "docker\t'HOST[/NAMESPACE] of a registry'
dir\t'A directory'"
complete -c lade -n "__fish_lade_using_subcommand sync" -l append-suffix -d 'Add SUFFIX to every destination tag (1.36 → 1.36SUFFIX); signature and referrer tags keep their names' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l digestfile -d 'Write a line "DIGEST DESTINATION-IMAGE" for every image copied or found unchanged to FILE (replaced; not with --dry-run)' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l tag-regex -d 'Only images whose tag (or, in an archive, NAME:TAG) matches this regular expression (unanchored)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -s j -l jobs -d 'Images copied at once (each copies up to 6 blobs at once to or from a registry; a blob several of them share is copied once, the others going on with their other blobs meanwhile; an image left with nothing but waiting for such a blob stands aside and the next image starts, up to 4×N under way); at most 256' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l with-referrers -d 'Copy each image\'s signatures and referrers (cosign\'s sha256-HEX.sig/.att/.sbom tags, OCI 1.1 referrers) where the destination can hold them [default: true]' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand sync" -l multi-arch -d 'For a multi-platform index: what to copy [default: system for copy, all for sync (system with --override-*)]' -r -f -a "system\t'The image for this machine (or the one --override-* name)'
all\t'The whole index and every image in it'
index-only\t'The index alone; its images must be at the destination already (a registry or oci: layout)'"
complete -c lade -n "__fish_lade_using_subcommand sync" -l platform -d 'For a multi-platform index: copy these platforms under a new index (repeatable); a single image must be for one of them' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -s f -l format -d 'Manifest format to write (oci: and oci-archive: hold Docker v2s2 images when asked to) [default: the source\'s, if the destination takes it; into oci: and oci-archive:, OCI]' -r -f -a "oci\t'OCI image manifest'
v2s2\t'Docker v2 schema 2'"
complete -c lade -n "__fish_lade_using_subcommand sync" -l image-parallel-copies -d 'Copy up to N blobs of an image at once, where both sides allow more than one [default (or 0): 6 to or from a registry, else one per CPU]; at most 256' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l progress -d 'Progress on stderr: lines (auto, lines) or JSON lines (json)' -r -f -a "auto\t''
lines\t''
json\t''"
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-creds -d 'docker:// source: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-creds -d 'docker:// destination: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-registry-token -d 'docker:// source: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-registry-token -d 'docker:// destination: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-username -d 'docker:// source: user name, with --src-password (as --src-creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-password -d 'docker:// source: password, with --src-username' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-username -d 'docker:// destination: user name, with --dest-password (as --dest-creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-password -d 'docker:// destination: password, with --dest-username' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l authfile -d 'docker://: read credentials from FILE only (both sides)' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-authfile -d 'docker:// source: read credentials from FILE only [default: --authfile]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-authfile -d 'docker:// destination: read credentials from FILE only [default: --authfile]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-tls-verify -d 'docker:// source: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-tls-verify -d 'docker:// destination: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-cert-dir -d 'docker:// source: certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-cert-dir -d 'docker:// destination: certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l retry-times -d 'docker://: retries after 5xx, 429 and connection errors (a manifest cut short is asked for again; a blob whose resume the registry refuses is read again whole)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l retry-delay -d 'docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand sync" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand sync" -l scoped -d 'With --dest: name each repository at the destination by its whole source name, registry included (HOST/NAMESPACE/SRCHOST/PATH/NAME), so that repositories of one name from different places stay apart'
complete -c lade -n "__fish_lade_using_subcommand sync" -s n -l dry-run -d 'Show what would be copied; copy nothing'
complete -c lade -n "__fish_lade_using_subcommand sync" -s k -l keep-going -d 'Go on after a failed image; report every failure at the end'
complete -c lade -n "__fish_lade_using_subcommand sync" -l remove-signatures -d 'skopeo\'s: copy no signatures (nor referrers): --with-referrers=false'
complete -c lade -n "__fish_lade_using_subcommand sync" -s a -l all -d 'For a multi-platform index: copy the index and every image, keeping its digest unless something is converted (a Docker list into oci: or oci-archive:, kept as it is with --preserve-digests; copy gzips uncompressed layers for a registry unless --preserve-digests, sync never does)'
complete -c lade -n "__fish_lade_using_subcommand sync" -l preserve-digests -d 'Fail an image whose manifest digest would change (a --format or --platform that rewrites it; sync never recompresses); Docker v2s2 images go into oci: as they are, not converted to OCI'
complete -c lade -n "__fish_lade_using_subcommand sync" -s q -l quiet -d 'Print nothing but errors (--progress=json, if given, still writes its events)'
complete -c lade -n "__fish_lade_using_subcommand sync" -l src-no-creds -d 'docker:// source: no credentials (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand sync" -l dest-no-creds -d 'docker:// destination: no credentials (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand sync" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand sync" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand sync" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l daemon-host -d 'Docker Engine of a docker-daemon: image [default: $DOCKER_HOST, else unix:///var/run/docker.sock]' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l shared-blob-dir -d 'An oci: image\'s blobs are in DIR (DIR/ALG/HEX), which layouts share, not in its blobs/' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -s f -l format -d 'Print TEMPLATE filled from the output instead of the JSON (\'{{.Digest}}\', \'{{range .Layers}}{{.}}\\n{{end}}\'; json: the JSON)' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l manifest-digest -d 'The algorithm of the Digest shown, hashing the manifest (or index) bytes, as skopeo\'s (experimental) option [default: the manifest\'s own digest\'s: sha256]' -r -f -a "sha256\t''
sha512\t''"
complete -c lade -n "__fish_lade_using_subcommand inspect" -l creds -d 'docker://: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l username -d 'docker://: user name, with --password (as --creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l password -d 'docker://: password, with --username' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l registry-token -d 'docker://: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l authfile -d 'docker://: read credentials from FILE only (missing: none) [default: $REGISTRY_AUTH_FILE alone when set, else $XDG_RUNTIME_DIR/containers/auth.json (without it /run/containers/UID/auth.json), ~/.config/containers/auth.json, ~/.docker/config.json]' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l tls-verify -d 'docker://: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand inspect" -l cert-dir -d 'docker://: trusted CAs or self-signed certificates (*.crt) and client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l retry-times -d 'docker://: retries after 5xx, 429 and connection errors (a manifest cut short is asked for again; a blob whose resume the registry refuses is read again whole)' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l retry-delay -d 'docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand inspect" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand inspect" -l raw -d 'Print the exact manifest (or index) bytes (with --config: the config\'s)'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l config -d 'Print the image\'s configuration, as an OCI image config (Docker-only fields left out, as skopeo prints it); with --raw, the exact config bytes; with --format, TEMPLATE over its fields ({{.Architecture}}, {{.OS}}, {{.Config.Env}}, {{.RootFS.DiffIDs}}, {{.History}}, …)'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l all-platforms -d 'For a multi-platform index: every platform\'s manifest digest, config digest, size and layers, as one JSON object'
complete -c lade -n "__fish_lade_using_subcommand inspect" -s n -l no-tags -d 'docker://: leave RepoTags empty instead of listing the repository\'s tags (one request per page of a long list)'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l no-creds -d 'docker://: no credentials at all (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand inspect" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand convert" -l to -d 'Target format' -r -f -a "oci\t''
docker\t''"
complete -c lade -n "__fish_lade_using_subcommand convert" -l tag -d 'Also point this ref at the converted image' -r
complete -c lade -n "__fish_lade_using_subcommand convert" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand convert" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand convert" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand convert" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand convert" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand convert" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand convert" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand convert" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand convert" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand convert" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand convert" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand convert" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand convert" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand convert" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand convert" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -s t -d 'Check that each input is a valid object of this media type (a manifest, index or config parsed; a layer read to its end: its compression as the type says, every tar header and entry whole; the OCI empty type\'s content {}); an invalid one is not stored. Other types are refused (exit 2)' -r
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand hash-object" -s w -d 'Also write the objects into the store'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l stdin -d 'Read the object from standard input'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l stdin-paths -d 'Read file paths from standard input, one per line (NUL with -z); one output line each, "PATH missing" for a path that is not there (an empty line too)'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -s z -d 'NUL-terminated input paths and output lines'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand hash-object" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -s e -d 'Print nothing; exit 0 if the blob exists, 1 if not (its content is not checked: fsck does)'
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand cat-blob" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -s e -d 'Print nothing; exit 0 if the object exists, 1 if not (a digest naming a blob that is no manifest too; 3, with the error, when the store is damaged: a blob the ref names missing or corrupt)'
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand cat-manifest" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l platform -d 'For an index, the platform to pick (OS/ARCH[/VARIANT]) [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand cat-config" -s e -d 'Print nothing; exit 0 if the object exists, 1 if not (a digest naming a blob that is no manifest too; 3, with the error, when the store is damaged: a blob the ref names missing or corrupt)'
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand cat-config" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand cat-config" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -s z -d 'End lines with NUL instead of newline'
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand ls-refs" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand tag" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand tag" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand tag" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand tag" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand tag" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand tag" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand tag" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand tag" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand tag" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand tag" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand tag" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand tag" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand tag" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand tag" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand tag" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand untag" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand untag" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand untag" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand untag" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand untag" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand untag" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand untag" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand untag" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand untag" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand untag" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand untag" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand untag" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand untag" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand untag" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand untag" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand fsck" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand fsck" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand fsck" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand fsck" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand fsck" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand fsck" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand fsck" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand fsck" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand fsck" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand fsck" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand fsck" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand fsck" -l unreachable -d 'Also list blobs that no ref reaches'
complete -c lade -n "__fish_lade_using_subcommand fsck" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand fsck" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand fsck" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand fsck" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand gc" -l grace -d 'Keep unreachable blobs written, linked or reused within this many seconds' -r
complete -c lade -n "__fish_lade_using_subcommand gc" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand gc" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand gc" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand gc" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand gc" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand gc" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand gc" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand gc" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand gc" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand gc" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand gc" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand gc" -s n -l dry-run -d 'Show what would be removed without removing it'
complete -c lade -n "__fish_lade_using_subcommand gc" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand gc" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand gc" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand gc" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand du" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand du" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand du" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand du" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand du" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand du" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand du" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand du" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand du" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand du" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand du" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand du" -s s -l summarize -d 'Print the store\'s totals instead of a line per entry'
complete -c lade -n "__fish_lade_using_subcommand du" -s H -l human-readable -d 'Sizes for people (4B, 1.5kB, 812.4MB) instead of bytes'
complete -c lade -n "__fish_lade_using_subcommand du" -s z -d 'End lines with NUL instead of newline'
complete -c lade -n "__fish_lade_using_subcommand du" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand du" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand du" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand du" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand manifest-digest" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l creds -d 'docker://: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l username -d 'docker://: user name, with --password (as --creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l password -d 'docker://: password, with --username' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l registry-token -d 'docker://: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l authfile -d 'docker://: read credentials from FILE only (missing: none) [default: $REGISTRY_AUTH_FILE alone when set, else $XDG_RUNTIME_DIR/containers/auth.json (without it /run/containers/UID/auth.json), ~/.config/containers/auth.json, ~/.docker/config.json]' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l tls-verify -d 'docker://: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l cert-dir -d 'docker://: trusted CAs or self-signed certificates (*.crt) and client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l retry-times -d 'docker://: retries after 5xx, 429 and connection errors (a manifest cut short is asked for again; a blob whose resume the registry refuses is read again whole)' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l retry-delay -d 'docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l no-creds -d 'docker://: no credentials at all (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand list-tags" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand list-tags" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand delete" -l daemon-host -d 'Docker Engine of a docker-daemon: image [default: $DOCKER_HOST, else unix:///var/run/docker.sock]' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l shared-blob-dir -d 'An oci: image\'s blobs are in DIR (DIR/ALG/HEX), which layouts share (delete removes the ref; the blobs stay, there as in blobs/)' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l creds -d 'docker://: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l username -d 'docker://: user name, with --password (as --creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l password -d 'docker://: password, with --username' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l registry-token -d 'docker://: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l authfile -d 'docker://: read credentials from FILE only (missing: none) [default: $REGISTRY_AUTH_FILE alone when set, else $XDG_RUNTIME_DIR/containers/auth.json (without it /run/containers/UID/auth.json), ~/.config/containers/auth.json, ~/.docker/config.json]' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l tls-verify -d 'docker://: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand delete" -l cert-dir -d 'docker://: trusted CAs or self-signed certificates (*.crt) and client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l retry-times -d 'docker://: retries after 5xx, 429 and connection errors (a manifest cut short is asked for again; a blob whose resume the registry refuses is read again whole)' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l retry-delay -d 'docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand delete" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand delete" -l no-creds -d 'docker://: no credentials at all (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand delete" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand delete" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand delete" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand delete" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand login" -s u -l username -d 'User name [default: prompt]' -r
complete -c lade -n "__fish_lade_using_subcommand login" -s p -l password -d 'Password (visible to other users of this machine; prefer --password-stdin)' -r
complete -c lade -n "__fish_lade_using_subcommand login" -l authfile -d 'The auth file to write' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l compat-auth-file -d 'Write the credentials into FILE alone, in Docker\'s config.json form (keyed by registry, docker.io as Docker keys it; no namespace), keeping what else it holds; --get-login reads FILE alone' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l tls-verify -d 'Verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand login" -l cert-dir -d 'Certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand login" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand login" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand login" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand login" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand login" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand login" -l password-stdin -d 'Read the password from standard input'
complete -c lade -n "__fish_lade_using_subcommand login" -l get-login -d 'Print the user name stored for REGISTRY (auth files, credential helpers) and log in to nothing; none stored: exit 1'
complete -c lade -n "__fish_lade_using_subcommand login" -s v -l verbose -d 'Also say where the credentials were stored (`Used: FILE`, or the credential helper), on stdout before `Login Succeeded!`, as skopeo'
complete -c lade -n "__fish_lade_using_subcommand login" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand login" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand login" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand login" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand logout" -l authfile -d 'The auth file to edit' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l compat-auth-file -d 'Remove the credentials from FILE alone, a Docker config.json (see lade login --compat-auth-file)' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l tls-verify -d 'Taken for skopeo\'s command lines, and unused: logout asks no registry' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand logout" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand logout" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand logout" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand logout" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand logout" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand logout" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand logout" -s a -l all -d 'Remove the credentials of every registry (none stored is fine)'
complete -c lade -n "__fish_lade_using_subcommand logout" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand logout" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand logout" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand logout" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l rootless -d 'Don\'t set owners (files belong to the caller); skip device nodes'
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand unpack-layer" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand unpack" -l platform -d 'For an index, the platform to unpack (OS/ARCH[/VARIANT]); a single image for another platform is refused (exit 1), as copy --platform refuses it; with --override-* instead, a single image is unpacked whatever its platform, as skopeo does [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l creds -d 'docker://: credentials USERNAME[:PASSWORD]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l username -d 'docker://: user name, with --password (as --creds USER:PASS)' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l password -d 'docker://: password, with --username' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l registry-token -d 'docker://: a bearer token to send as is (instead of any credentials)' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l authfile -d 'docker://: read credentials from FILE only (missing: none) [default: $REGISTRY_AUTH_FILE alone when set, else $XDG_RUNTIME_DIR/containers/auth.json (without it /run/containers/UID/auth.json), ~/.config/containers/auth.json, ~/.docker/config.json]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l tls-verify -d 'docker://: verify TLS [default: true]; false also allows plain HTTP' -f -a "true\t''
false\t''"
complete -c lade -n "__fish_lade_using_subcommand unpack" -l cert-dir -d 'docker://: trusted CAs or self-signed certificates (*.crt) and client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l retry-times -d 'docker://: retries after 5xx, 429 and connection errors (a manifest cut short is asked for again; a blob whose resume the registry refuses is read again whole)' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l retry-delay -d 'docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l store -d 'Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l command-timeout -d 'End the command after DURATION (90s, 10m, 1h30m; 0: never), with what its writes under way left removed, as on a signal (exit 3)' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l tmpdir -d 'Put temp files outside the destination (decompressed archives, staged layers) in DIR [default: $TMPDIR, else /tmp]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l registries-conf -d 'Read registry settings (mirrors, insecure and blocked registries, credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf, else /etc/containers/registries.conf]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l policy -d 'skopeo\'s signature policy (containers-policy.json) for copy and sync: lade checks no signatures, so it takes a FILE that accepts anything (insecureAcceptAnything throughout) and refuses, before copying, one that asks for more (exit 3); --insecure-policy wins' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l registries.d -d 'skopeo\'s registries.d (containers-registries.d): taken, for its command lines; lade keeps signatures as tags and referrers (--with-referrers), so copy, sync and delete warn of the lookaside storage a *.yaml in DIR sets, which they neither read nor write' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l tls-details -d 'A containers-tls-details.yaml(5) file, as skopeo\'s: the lowest TLS version (minVersion), and lists of the cipher suites (cipherSuites) and key exchange groups (namedGroups, IANA names) registry and Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade\'s: TLS 1.2 and 1.3, modern AEAD suites, x25519, secp256r1, secp384r1]' -r -F
complete -c lade -n "__fish_lade_using_subcommand unpack" -l user-agent-prefix -d 'Send registries the User-Agent "PREFIX lade/VERSION" (printable ASCII) [default: lade/VERSION]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l override-os -d 'For multi-platform images (copy, inspect, sync --multi-arch system, unpack): the OS to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l override-arch -d 'For multi-platform images: the architecture to pick [default: this machine\'s]' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l override-variant -d 'For multi-platform images: the architecture variant to pick' -r
complete -c lade -n "__fish_lade_using_subcommand unpack" -l bundle -d 'Write an OCI runtime bundle: DIR/rootfs and DIR/config.json'
complete -c lade -n "__fish_lade_using_subcommand unpack" -l rootless -d 'Don\'t set owners (files belong to the caller); skip device nodes'
complete -c lade -n "__fish_lade_using_subcommand unpack" -s q -l quiet -d 'Print nothing but errors and warnings'
complete -c lade -n "__fish_lade_using_subcommand unpack" -l no-creds -d 'docker://: no credentials at all (anonymous), whatever the auth files hold'
complete -c lade -n "__fish_lade_using_subcommand unpack" -l debug -d 'Say each registry and Docker Engine request on stderr as it is answered (method, URL, status, time; no credentials)'
complete -c lade -n "__fish_lade_using_subcommand unpack" -l insecure-policy -d 'Taken, for skopeo\'s command lines: lade checks no signature policy (containers-policy.json), as skopeo with this option'
complete -c lade -n "__fish_lade_using_subcommand unpack" -l require-signed -d 'skopeo\'s: require every image copied to be signed. lade verifies no signatures, so copy and sync refuse it before copying anything (exit 3); with --insecure-policy, a usage error'
complete -c lade -n "__fish_lade_using_subcommand unpack" -s h -l help -d 'Print help'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "copy" -d 'Copy images between transports (registries, archives, layouts, directories)'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "sync" -d 'Copy every tag of a repository (or every image of a layout) into another'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "inspect" -d 'Show an image\'s metadata as JSON, or its raw manifest or config'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "convert" -d 'Rewrite a store image between Docker v2s2 and OCI manifests'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "hash-object" -d 'Compute the digest of files or stdin, and optionally store them'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "cat-blob" -d 'Print a blob\'s bytes from the store'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "cat-manifest" -d 'Print the exact manifest (or index) bytes of a store ref'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "cat-config" -d 'Print the exact image config bytes of a store ref'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "ls-refs" -d 'List the refs in the store: name, digest, media type, size'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "tag" -d 'Point a new ref at the image SRC names'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "untag" -d 'Remove a ref (the image\'s blobs stay until gc)'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "fsck" -d 'Verify every blob and every reference in the store'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "gc" -d 'Remove blobs that no ref reaches'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "du" -d 'Show the bytes each ref\'s image takes, and what untag and gc would free'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "manifest-digest" -d 'Print the digest of a manifest file'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "list-tags" -d 'List the tags of a registry repository (docker://REPO) or of the images of a docker-archive'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "delete" -d 'Delete an image (docker://REF: the manifest the tag or digest names; oci:PATH:REF: the ref, its blobs left to lade gc; docker-daemon:NAME: that name, as docker rmi)'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "login" -d 'Store credentials for a registry in the auth file'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "logout" -d 'Remove stored credentials for a registry'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "unpack-layer" -d 'Apply one layer (a tar, gzip or zstd) onto a directory'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "unpack" -d 'Unpack an image\'s layers into a directory (or an OCI runtime bundle)'
complete -c lade -n "__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from copy sync inspect convert hash-object cat-blob cat-manifest cat-config ls-refs tag untag fsck gc du manifest-digest list-tags delete login logout unpack-layer unpack help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lade -n "__fish_lade_using_subcommand copy" -a "dir: docker:// docker-daemon: docker-archive: oci: oci-archive:"
complete -c lade -n "__fish_lade_using_subcommand sync" -a "dir: docker:// docker-archive: oci: oci-archive:"
complete -c lade -n "__fish_lade_using_subcommand inspect" -a "dir: docker:// docker-daemon: docker-archive: oci: oci-archive:"
complete -c lade -n "__fish_lade_using_subcommand list-tags" -a "docker:// docker-archive:"
complete -c lade -n "__fish_lade_using_subcommand delete" -a "docker:// docker-daemon: oci:"
complete -c lade -n "__fish_lade_using_subcommand unpack" -a "dir: docker:// docker-daemon: docker-archive: oci: oci-archive:"
