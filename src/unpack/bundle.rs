//! `unpack --bundle`: an OCI runtime bundle (`rootfs/` + `config.json`),
//! the layout `umoci unpack` writes and runc/crun run.
//!
//! The spec follows runc's default (`runc spec`) — namespaces, mounts,
//! masked and read-only paths, the default capability set — filled in from
//! the image config: args (Entrypoint + Cmd), Env, WorkingDir, User (names
//! looked up in the rootfs's /etc/passwd and /etc/group, read inside the
//! rootfs), and annotations for the image's labels, platform and author.
//! With `rootless`, a user namespace maps the container's root to the
//! caller.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::root::Root;
use crate::error::{Error, Result};
use crate::fsutil::MadeDir;
use crate::model::{Digest, ImageConfig};

/// Create `dir` (if needed) and a fresh, empty `dir/rootfs`; what was
/// made (`dir`, else `rootfs`) goes again unless kept.
pub fn prepare(dir: &Path) -> Result<(PathBuf, MadeDir)> {
    let made_dir = super::make_dir(dir)?;
    let rootfs = dir.join("rootfs");
    match std::fs::create_dir(&rootfs) {
        Ok(()) => {
            let made = if made_dir { dir } else { &rootfs };
            Ok((rootfs.clone(), MadeDir::new(Some(made.to_path_buf()))))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::new(format!(
            "{}: already exists; a bundle is unpacked into a new directory",
            rootfs.display()
        ))),
        Err(e) => Err(Error::from(e).context(rootfs.display())),
    }
}

/// Write `config.json` into `dir` (replacing, never writing through, what
/// is there).
pub fn write_spec(dir: &Path, spec: &Value) -> Result<()> {
    let mut tmp = crate::fsutil::tracked(|| {
        tempfile::Builder::new()
            .prefix(".config.json.")
            .tempfile_in(dir)
    })
    .map_err(|e| Error::from(e).context(dir.display()))?;
    let mut bytes = serde_json::to_vec_pretty(spec).expect("spec serializes");
    bytes.push(b'\n');
    tmp.write_all(&bytes)?;
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )?;
    tmp.persist(dir.join("config.json"))
        .map_err(|e| Error::from(e.error).context(dir.join("config.json").display()))?;
    Ok(())
}

/// The runtime spec for an image.
pub fn runtime_spec(
    config: Option<&ImageConfig>,
    root: &mut Root,
    rootless: bool,
    manifest_digest: &Digest,
) -> Result<Value> {
    let cc = config.and_then(|c| c.config.clone()).unwrap_or_default();
    let mut args: Vec<String> = cc.entrypoint.clone().unwrap_or_default();
    args.extend(cc.cmd.clone().unwrap_or_default());
    if args.is_empty() {
        args.push("sh".into());
    }
    let env = cc.env.clone().unwrap_or_else(|| {
        vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()]
    });
    let cwd = cc
        .working_dir
        .clone()
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "/".into());
    let (uid, gid, additional) = resolve_user(root, cc.user.as_deref().unwrap_or(""))?;

    // runc's default set (`runc spec`), as umoci writes it: not Docker's
    // fourteen, which would hand a non-root user DAC_OVERRIDE and SETUID.
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    let mut user = json!({"uid": uid, "gid": gid});
    if !additional.is_empty() {
        user["additionalGids"] = json!(additional);
    }
    let mut annotations = Map::new();
    if let Some(c) = config {
        for (k, v) in cc.labels.iter().flatten() {
            annotations.insert(k.clone(), json!(v));
        }
        annotations.insert(
            "org.opencontainers.image.architecture".into(),
            json!(c.architecture),
        );
        annotations.insert("org.opencontainers.image.os".into(), json!(c.os));
        if let Some(a) = &c.author {
            annotations.insert("org.opencontainers.image.author".into(), json!(a));
        }
        if let Some(t) = &c.created {
            annotations.insert("org.opencontainers.image.created".into(), json!(t));
        }
        if let Some(Value::Object(ports)) = cc.extra.get("ExposedPorts") {
            let list: Vec<&str> = ports.keys().map(String::as_str).collect();
            annotations.insert(
                "org.opencontainers.image.exposedPorts".into(),
                json!(list.join(",")),
            );
        }
        if let Some(Value::String(sig)) = cc.extra.get("StopSignal") {
            annotations.insert("org.opencontainers.image.stopSignal".into(), json!(sig));
        }
    }
    annotations.insert(
        "org.opencontainers.image.manifest.digest".into(),
        json!(manifest_digest.to_string()),
    );

    let mut namespaces = vec![
        json!({"type": "pid"}),
        json!({"type": "network"}),
        json!({"type": "ipc"}),
        json!({"type": "uts"}),
        json!({"type": "mount"}),
    ];
    let mut mounts = vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc"}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
               "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
        json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
               "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
        json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
               "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/sys", "type": "sysfs", "source": "sysfs",
               "options": ["nosuid", "noexec", "nodev", "ro"]}),
        json!({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
               "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}),
    ];
    let mut linux = json!({
        "maskedPaths": [
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi"
        ],
        "readonlyPaths": [
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
        ],
    });
    if rootless {
        namespaces.push(json!({"type": "user"}));
        let me = rustix::process::geteuid().as_raw();
        let my_gid = rustix::process::getegid().as_raw();
        linux["uidMappings"] = json!([{"containerID": 0, "hostID": me, "size": 1}]);
        linux["gidMappings"] = json!([{"containerID": 0, "hostID": my_gid, "size": 1}]);
        // No devpts gid=5 and no sysfs/cgroup in a user namespace without a netns of its own.
        mounts[2]["options"] = json!([
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620"
        ]);
        mounts.truncate(5);
        mounts.push(
            json!({"destination": "/sys", "type": "none", "source": "/sys",
               "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}),
        );
    } else {
        linux["resources"] = json!({"devices": [{"allow": false, "access": "rwm"}]});
    }
    linux["namespaces"] = json!(namespaces);

    Ok(json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": user,
            "args": args,
            "env": env,
            "cwd": cwd,
            "capabilities": {
                "bounding": caps, "effective": caps, "permitted": caps
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "lade",
        "mounts": mounts,
        "annotations": annotations,
        "linux": linux,
    }))
}

/// `USER` (`name`, `uid`, `name:group`, `uid:gid`, …) to uid, gid and the
/// user's supplementary groups, names looked up inside the rootfs.
fn resolve_user(root: &mut Root, user: &str) -> Result<(u32, u32, Vec<u32>)> {
    if user.is_empty() {
        return Ok((0, 0, Vec::new()));
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let passwd = read_etc(root, b"passwd")?;
    let group = read_etc(root, b"group")?;
    // passwd: name:x:uid:gid:gecos:home:shell
    let pw = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && (f[0] == u || (u.parse::<u32>().is_ok() && f[2] == u)));
    let uid = match u.parse::<u32>() {
        Ok(n) => n,
        Err(_) => pw.as_ref().and_then(|f| f[2].parse().ok()).ok_or_else(|| {
            Error::new(format!("user {u:?} not found in the image's /etc/passwd"))
        })?,
    };
    let gid = match g {
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() >= 3 && f[0] == g)
                .and_then(|f| f[2].parse().ok())
                .ok_or_else(|| {
                    Error::new(format!("group {g:?} not found in the image's /etc/group"))
                })?,
        },
        None => pw.as_ref().and_then(|f| f[3].parse().ok()).unwrap_or(0),
    };
    let mut additional = Vec::new();
    if g.is_none() {
        if let Some(name) = pw.as_ref().map(|f| f[0]) {
            for f in group.lines().map(|l| l.split(':').collect::<Vec<_>>()) {
                if f.len() >= 4 && f[3].split(',').any(|m| m == name) {
                    if let Ok(n) = f[2].parse::<u32>() {
                        if n != gid && !additional.contains(&n) {
                            additional.push(n);
                        }
                    }
                }
            }
        }
    }
    Ok((uid, gid, additional))
}

/// `/etc/NAME` of the rootfs, read inside it: symlinks (at the leaf too)
/// are resolved as if the rootfs were `/`, as umoci resolves them; what
/// is missing or not a file reads as empty. At most 1 MiB.
fn read_etc(root: &mut Root, name: &[u8]) -> Result<String> {
    let Some(mut f) = root.open_file(&[b"etc", name])? else {
        return Ok(String::new());
    };
    let mut s = Vec::new();
    Read::by_ref(&mut f).take(1 << 20).read_to_end(&mut s)?;
    Ok(String::from_utf8_lossy(&s).into_owned())
}
