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
/// made (`dir`, else `rootfs`) goes again unless kept. A `config.json`
/// there is refused (as umoci refuses it): the bundle's would replace it.
pub fn prepare(dir: &Path) -> Result<(PathBuf, MadeDir)> {
    let spec = dir.join("config.json");
    if std::fs::symlink_metadata(&spec).is_ok() {
        return Err(Error::new(format!(
            "{}: already exists; a bundle is unpacked into a new directory",
            spec.display()
        )));
    }
    let made_dir = super::make_dir(dir)?;
    let rootfs = dir.join("rootfs");
    match std::fs::create_dir(&rootfs) {
        Ok(()) if made_dir.path().is_some() => Ok((rootfs, made_dir)),
        Ok(()) => Ok((rootfs.clone(), MadeDir::new(Some(rootfs)))),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::new(format!(
            "{}: already exists; a bundle is unpacked into a new directory",
            rootfs.display()
        ))),
        Err(e) => Err(Error::from(e).context(rootfs.display())),
    }
}

/// Write `config.json` into `dir` (never over, or through, one made
/// meanwhile).
pub fn write_spec(dir: &Path, spec: &Value) -> Result<()> {
    let mut tmp = crate::fsutil::tracked(|| {
        tempfile::Builder::new()
            .prefix(".config.json.")
            .tempfile_in(dir)
    })
    .map_err(|e| Error::from(e).context(dir.display()))?;
    let mut bytes = serde_json::to_vec_pretty(spec).expect("spec serializes");
    bytes.push(b'\n');
    tmp.write_all(&bytes)
        .map_err(|e| Error::from(e).context(dir.join("config.json").display()))?;
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )?;
    tmp.persist_noclobber(dir.join("config.json"))
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
    let cwd = cc
        .working_dir
        .clone()
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "/".into());
    let who = resolve_user(root, cc.user.as_deref().unwrap_or(""))?;
    // The default PATH, the image's variables over it (one it names
    // twice: the last), then the user's HOME unless the image sets one.
    let mut env: Vec<String> =
        vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()];
    let mut set = |var: &str, clobber: bool| {
        let name = var.split('=').next().unwrap_or(var);
        match env.iter_mut().find(|e| e.split('=').next() == Some(name)) {
            Some(e) if clobber => *e = var.to_string(),
            Some(_) => {}
            None => env.push(var.to_string()),
        }
    };
    for var in cc.env.iter().flatten() {
        match var.split_once('=') {
            Some((name, _)) if !name.is_empty() => set(var, true),
            _ => {
                return Err(Error::new(format!(
                    "the image's Env holds {var:?}, which is no NAME=VALUE"
                )))
            }
        }
    }
    if let Some(h) = &who.home {
        set(&format!("HOME={h}"), false);
    }

    // runc's default set (`runc spec`), as umoci writes it, in every set
    // (ambient: a user other than root has them too): not Docker's
    // fourteen, which would hand a non-root user DAC_OVERRIDE and SETUID.
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    let mut user = json!({"uid": who.uid, "gid": who.gid});
    if !who.groups.is_empty() {
        user["additionalGids"] = json!(who.groups);
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
    // The image's volumes: a tmpfs each, as umoci mounts them.
    if let Some(Value::Object(vols)) = cc.extra.get("Volumes") {
        let mut vols: Vec<&String> = vols.keys().collect();
        vols.sort();
        for v in vols {
            mounts.push(json!({"destination": v, "type": "tmpfs", "source": "none",
                               "options": ["rw", "nosuid", "nodev", "noexec", "relatime"]}));
        }
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
                "bounding": caps, "effective": caps, "permitted": caps,
                "inheritable": caps, "ambient": caps
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

/// The user a bundle's process runs as: `USER` resolved as runc and umoci
/// resolve it.
struct ExecUser {
    uid: u32,
    gid: u32,
    /// Supplementary groups (of a user given without a group), in
    /// /etc/group's order.
    groups: Vec<u32>,
    home: Option<String>,
}

/// `USER` (`name`, `uid`, `name:group`, `uid:gid`, `:gid`, `name:`, or
/// empty) as runc's user lookup reads it, names looked up inside the
/// rootfs: an empty part is the default (uid 0, and that user's record);
/// a number is always an ID (a user whose record has that uid, or none);
/// the groups listing the user are its supplementary groups when no group
/// is given.
fn resolve_user(root: &mut Root, user: &str) -> Result<ExecUser> {
    let (u, g) = user.split_once(':').unwrap_or((user, ""));
    let passwd = read_etc(root, b"passwd")?;
    let group = read_etc(root, b"group")?;
    let records = |text: &str, min: usize| -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
            .filter(|f| f.len() >= min && !f[0].is_empty())
            .collect()
    };
    let id = |s: &str| s.trim().parse::<u32>().ok();
    let mut out = ExecUser {
        uid: 0,
        gid: 0,
        groups: Vec::new(),
        home: None,
    };
    // passwd: name:x:uid:gid:gecos:home:shell (the first match wins)
    let pw = records(&passwd, 4).into_iter().find(|f| match (u, id(u)) {
        ("", _) => id(&f[2]) == Some(0),
        (_, Some(n)) => id(&f[2]) == Some(n),
        (name, None) => f[0] == name,
    });
    match (&pw, id(u)) {
        (Some(f), _) => {
            out.uid = id(&f[2]).unwrap_or(0);
            out.gid = id(&f[3]).unwrap_or(0);
            out.home = f.get(5).filter(|h| !h.is_empty()).cloned();
        }
        (None, Some(n)) => out.uid = n,
        (None, None) if u.is_empty() => {}
        (None, None) => {
            return Err(Error::new(format!(
                "user {u:?} not found in the image's /etc/passwd"
            )))
        }
    }
    // group: name:x:gid:member,member
    let groups = records(&group, 3);
    if !g.is_empty() {
        out.gid = match (
            groups.iter().find(|f| match id(g) {
                Some(n) => id(&f[2]) == Some(n),
                None => f[0] == g,
            }),
            id(g),
        ) {
            (Some(f), _) => id(&f[2]).unwrap_or(0),
            (None, Some(n)) => n,
            (None, None) => {
                return Err(Error::new(format!(
                    "group {g:?} not found in the image's /etc/group"
                )))
            }
        };
    } else if let Some(name) = pw.as_ref().map(|f| f[0].as_str()) {
        out.groups = groups
            .iter()
            .filter(|f| f.len() >= 4 && f[3].split(',').any(|m| m.trim() == name))
            .filter_map(|f| id(&f[2]))
            .collect();
    }
    Ok(out)
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
