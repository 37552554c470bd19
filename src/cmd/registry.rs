//! Registry commands: `list-tags`, `delete`, `login`, `logout`, and the
//! mapping of registry flags to [`RegistryOptions`].

use std::io::{BufRead, IsTerminal, Write};

use super::inspect::write_pretty;
use super::stdout;
use crate::cli::{CopyRegistryArgs, DeleteArgs, ListTagsArgs, LoginArgs, LogoutArgs, RegistryArgs};
use crate::error::{Error, Result};
use crate::model::reference::{DEFAULT_API_HOST, LEGACY_DEFAULT_DOMAIN};
use crate::model::DockerRef;
use crate::transport::registry::auth::{check_login_key, forget_login, save_login, CredsFrom};
use crate::transport::registry::client::Client;
use crate::transport::registry::{RegistryOptions, RegistryRef, Retries};
use crate::transport::{self, TransportOptions};

pub fn options(a: &RegistryArgs) -> RegistryOptions {
    RegistryOptions {
        creds: user_pass(&a.creds, &a.username, &a.password),
        registry_token: a.registry_token.clone(),
        no_creds: a.no_creds,
        authfile: a.authfile.clone(),
        tls_verify: a.tls_verify,
        cert_dir: a.cert_dir.clone(),
        docker_compat: false,
        creds_withheld_from: None,
        retries: Retries {
            times: a.retry_times,
            // 0, as in skopeo: the growing pauses.
            delay: a.retry_delay.filter(|d| !d.is_zero()),
        },
    }
}

/// `--creds USER:PASS`, or the same from `--username` and `--password`
/// (clap makes sure they come together, and without --creds).
fn user_pass(
    creds: &Option<String>,
    user: &Option<String>,
    pass: &Option<String>,
) -> Option<String> {
    match (user, pass) {
        (Some(u), Some(p)) => Some(format!("{u}:{p}")),
        _ => creds.clone(),
    }
}

/// The source (`src` true) or destination side of copy's registry flags.
pub fn copy_side(a: &CopyRegistryArgs, src: bool) -> RegistryOptions {
    let pick = |s: &Option<String>, d: &Option<String>| if src { s.clone() } else { d.clone() };
    let (user, pass) = if src {
        (&a.src_username, &a.src_password)
    } else {
        (&a.dest_username, &a.dest_password)
    };
    RegistryOptions {
        creds: user_pass(&pick(&a.src_creds, &a.dest_creds), user, pass),
        registry_token: pick(&a.src_registry_token, &a.dest_registry_token),
        no_creds: if src { a.src_no_creds } else { a.dest_no_creds },
        authfile: if src {
            &a.src_authfile
        } else {
            &a.dest_authfile
        }
        .clone()
        .or_else(|| a.authfile.clone()),
        tls_verify: if src {
            a.src_tls_verify
        } else {
            a.dest_tls_verify
        },
        cert_dir: if src {
            a.src_cert_dir.clone()
        } else {
            a.dest_cert_dir.clone()
        },
        docker_compat: false,
        creds_withheld_from: None,
        retries: Retries {
            times: a.retry_times,
            // 0, as in skopeo: the growing pauses.
            delay: a.retry_delay.filter(|d| !d.is_zero()),
        },
    }
}

/// The repository `list-tags` lists (a docker-archive: file is listed
/// before this).
fn registry_ref(name: &str) -> Result<RegistryRef> {
    let r = transport::parse(name)?;
    if r.transport() != "docker" {
        let hint = match r.transport() {
            "oci" => " (lade ls-refs --store DIR lists a layout's names)",
            _ => "",
        };
        return Err(Error::new(format!(
            "{name}: list-tags lists docker:// repositories and docker-archive: files, not {}:{hint}",
            r.transport()
        )));
    }
    RegistryRef::parse(name.strip_prefix("docker:").unwrap_or(name))
}

/// What `list-tags` prints. (Written from the list itself: a JSON value
/// of it would hold every tag once more, tens of megabytes for a million.)
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Listing {
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<String>,
    tags: Vec<String>,
}

pub fn list_tags(g: &crate::cli::GlobalArgs, a: ListTagsArgs) -> Result<i32> {
    let base = super::transport_options(g);
    // A docker-archive: the tags of its images, as skopeo lists them
    // (no repository).
    let listing = if let Some(details) = a.image.strip_prefix("docker-archive:") {
        let tags = crate::transport::docker_archive::archive_tags(details, &base)
            .map_err(|e| e.context(&a.image))?;
        Listing {
            repository: None,
            tags,
        }
    } else {
        let r = registry_ref(&a.image)?;
        if r.r.digest.is_some() || a.image.rsplit('/').next().is_some_and(|l| l.contains(':')) {
            return Err(Error::new(format!(
                "{}: list-tags takes a repository, without tag or digest",
                a.image
            )));
        }
        let opts = TransportOptions {
            src_registry: options(&a.registry),
            ..base
        };
        let tags = crate::transport::ImageReference::list_tags(&r, &opts)
            .map_err(|e| e.context(&a.image))?;
        Listing {
            repository: Some(r.r.name()),
            tags,
        }
    };
    let mut out = stdout();
    write_pretty(&mut out, &listing)?;
    out.flush()?;
    Ok(0)
}

pub fn delete(g: &crate::cli::GlobalArgs, a: DeleteArgs) -> Result<i32> {
    let r = transport::parse(&a.image)?;
    let opts = TransportOptions {
        src_registry: options(&a.registry),
        src_shared_blob_dir: a.shared_blob_dir.clone(),
        src_daemon_host: a.daemon_host.clone(),
        ..super::transport_options(g)
    };
    r.delete(&opts)
        .map_err(|e| e.context(format!("deleting {}", a.image)))?;
    Ok(0)
}

/// `HOST[:PORT][/NAMESPACE…]`, also accepting a URL or a docker:// name:
/// the registry, and the auth file key (`HOST`, or `HOST/NAMESPACE` for
/// credentials of the repositories under it alone).
fn registry_host(s: &str) -> Result<(String, String)> {
    let s = s
        .strip_prefix("docker://")
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let (host, path) = s.split_once('/').unwrap_or((s, ""));
    if host.is_empty() {
        return Err(Error::usage("name the registry as HOST[:PORT][/NAMESPACE]"));
    }
    // The argument names a registry: a one-word host (`myreg`) is that
    // host, not a Docker Hub namespace. Only docker.io's own aliases are
    // docker.io.
    let host = match host.to_ascii_lowercase().as_str() {
        "docker.io" | LEGACY_DEFAULT_DOMAIN | DEFAULT_API_HOST => "docker.io".to_string(),
        _ => host.to_string(),
    };
    let path = path.trim_matches('/');
    let key = if path.is_empty() || path == "v2" || path == "v1" {
        host.clone()
    } else {
        // A namespace: a repository path, without tag or digest.
        let r = DockerRef::parse(&format!("{host}/{path}"))
            .map_err(|e| Error::usage(format!("{s}: {e}")))?;
        if r.tag.is_some() || r.digest.is_some() {
            return Err(Error::usage(format!(
                "{s}: a registry or namespace is logged in to, not a tag or digest"
            )));
        }
        format!("{host}/{path}")
    };
    Ok((host, key))
}

/// The namespace a login key names below its registry host, if any
/// (`h:5000/ns` → `ns`).
fn key_path<'a>(host: &str, key: &'a str) -> Option<&'a str> {
    key.strip_prefix(host).and_then(|p| p.strip_prefix('/'))
}

/// `login --get-login`: the user name of the credentials lade would use
/// for `key` (a registry, or a namespace of it), on stdout.
fn get_login(a: &LoginArgs, host: &str, key: &str) -> Result<i32> {
    let opts = auth_files(&a.authfile, &a.compat_auth_file);
    let not_in = || Error::not_found(format!("not logged in to {key}"));
    use crate::transport::registry::auth::{find_creds, Creds};
    match find_creds(host, key_path(host, key), &opts)?.0 {
        Some(Creds::Basic { user, .. } | Creds::Identity { user, .. }) if !user.is_empty() => {
            let mut out = super::stdout();
            writeln!(out, "{user}")?;
            out.flush()?;
            Ok(0)
        }
        _ => Err(not_in()),
    }
}

/// Ask for `what` on the terminal (a secret with echo off); `stored`, the
/// user name stored for the registry, is offered as the answer to an
/// empty line (`Username (alice): `, as containers/common's login asks).
fn prompt(what: &str, secret: bool, stored: Option<&str>) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let hint = if secret {
            "--password-stdin, or --password"
        } else {
            "--username"
        };
        return Err(Error::usage(format!(
            "no {} given and standard input is not a terminal to ask for it (use {hint})",
            what.to_lowercase()
        )));
    }
    if secret {
        return crate::transport::registry::auth::read_secret(&format!("{what}: "));
    }
    match stored {
        Some(u) => eprint!("{what} ({u}): "),
        None => eprint!("{what}: "),
    }
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']);
    Ok(match stored {
        Some(u) if line.is_empty() => u.to_string(),
        _ => line.to_string(),
    })
}

/// The auth file options of login and logout: `--authfile`, or
/// `--compat-auth-file` (a Docker config.json, read and written alone).
/// Neither given: `$REGISTRY_AUTH_FILE`, else, where `$DOCKER_CONFIG` is
/// set, `$DOCKER_CONFIG/config.json` alone (as an auth file), as
/// containers/common's login and logout take it (skopeo, podman): a
/// login there is where docker reads it. (Other commands read that file
/// in place of ~/.docker/config.json, after the containers auth files.)
fn auth_files(
    authfile: &Option<std::path::PathBuf>,
    compat: &Option<std::path::PathBuf>,
) -> RegistryOptions {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let docker_config = || match env("REGISTRY_AUTH_FILE") {
        Some(_) => None,
        None => env("DOCKER_CONFIG").map(|d| std::path::PathBuf::from(d).join("config.json")),
    };
    RegistryOptions {
        authfile: compat
            .clone()
            .or_else(|| authfile.clone())
            .or_else(docker_config),
        docker_compat: compat.is_some(),
        ..Default::default()
    }
}

pub fn login(a: LoginArgs) -> Result<i32> {
    let (host, key) = registry_host(&a.registry)?;
    let files = auth_files(&a.authfile, &a.compat_auth_file);
    // (before the registry is asked)
    check_login_key(&files, &key)?;
    if a.get_login {
        return get_login(&a, &host, &key);
    }
    // registries.conf, by the host as skopeo asks it: a blocked registry
    // is refused, an insecure one taken as with --tls-verify=false.
    use crate::transport::registry::auth::{find_creds, Creds};
    use crate::transport::registry::conf;
    let insecure = conf::get()?.check_name(&host)?;
    let with = |user: &str, pass: &str| RegistryOptions {
        creds: Some(format!("{user}:{pass}")),
        tls_verify: conf::Conf::tls_verify(a.tls_verify, insecure),
        cert_dir: a.cert_dir.clone(),
        ..files.clone()
    };
    // Does the registry take these? (The client, to tell whether it asked.)
    let check = |opts: &RegistryOptions, user: &str, pass: &str| -> Result<Client> {
        let creds = Creds::Basic {
            user: user.to_string(),
            pass: pass.to_string(),
        };
        let c = Client::new(&host, opts, Some(creds))
            .map_err(|e| e.context(format!("logging in to {host}")))?;
        c.check_login()
            .map_err(|e| e.context(format!("logging in to {host}")))?;
        Ok(c)
    };
    // Without a user name, the credentials stored for the key (auth files,
    // credential helpers): without a password either, checked first, and
    // if the registry takes them nothing is asked nor written, as
    // containers/common's login (skopeo, podman) does; else their user
    // name is the one offered when asking for it.
    let mut stored_user = None;
    if a.username.is_none() {
        if let (Some(Creds::Basic { user, pass }), _) =
            find_creds(&host, key_path(&host, &key), &files)?
        {
            if a.password.is_none() && !a.password_stdin && !user.is_empty() && !pass.is_empty() {
                said(format!(
                    "Authenticating with existing credentials for {key}"
                ))?;
                match check(&with(&user, &pass), &user, &pass) {
                    Ok(_) => {
                        said(format!(
                            "Existing credentials are valid. Already logged in to {host}"
                        ))?;
                        return Ok(0);
                    }
                    Err(e) if e.is_credentials_refused() => {
                        said("Existing credentials are invalid, please enter valid username and password".into())?;
                        if !std::io::stdin().is_terminal() {
                            return Err(Error::new(format!(
                                "logging in to {host}: the credentials stored for {key} (user \
                                 {user}) were refused, and standard input is not a terminal \
                                 to ask for others (use --username and --password-stdin)"
                            )));
                        }
                    }
                    // (not a verdict on the credentials: asking for others
                    // would not help)
                    Err(e) => return Err(e),
                }
            }
            stored_user = Some(user).filter(|u| !u.is_empty());
        }
    }
    let user = match &a.username {
        Some(u) => u.clone(),
        None => prompt("Username", false, stored_user.as_deref())?,
    };
    let pass = if a.password_stdin {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s.trim_end_matches(['\r', '\n']).to_string()
    } else {
        match &a.password {
            Some(p) => p.clone(),
            None => prompt("Password", true, None)?,
        }
    };
    if pass.is_empty() {
        return Err(Error::usage(if a.password_stdin {
            "the password is empty (--password-stdin read nothing)"
        } else {
            "the password is empty"
        }));
    }
    if user.is_empty() || user.contains(':') {
        return Err(Error::usage(
            "the username must be non-empty and hold no ':'",
        ));
    }
    let opts = with(&user, &pass);
    let c = check(&opts, &user, &pass)?;
    if !c.was_challenged() {
        // (saved all the same, as skopeo and docker do: it may ask later)
        crate::error::warn(&format!(
            "{host} asked for no credentials (GET /v2/): they were not checked"
        ));
    }
    let place = save_login(&opts, &key, &user, &pass)?;
    if a.verbose {
        // (two spaces, byte for byte as skopeo and podman print it)
        said(format!("Used:  {place}"))?;
    }
    said("Login Succeeded!".into())?;
    Ok(0)
}

pub fn logout(a: LogoutArgs) -> Result<i32> {
    let opts = auth_files(&a.authfile, &a.compat_auth_file);
    let named = match &a.registry {
        Some(r) if !a.all => Some(registry_host(r)?),
        _ => None,
    };
    let host = named.as_ref().map(|(_, key)| key.clone());
    let (removed, places) = forget_login(&opts, host.as_deref())?;
    match &host {
        Some(h) if removed => said(format!("Removed login credentials for {h}"))?,
        // A negative answer, as the store's lookups give; naming the file
        // the credentials lade still reads come from, when one does
        // (~/.docker/config.json: docker login's, which logout leaves).
        Some(h) => {
            let (registry, _) = named.as_ref().expect("named");
            let path = h
                .strip_prefix(registry.as_str())
                .and_then(|p| p.strip_prefix('/'));
            let from = crate::transport::registry::auth::find_creds(registry, path, &opts)
                .ok()
                .filter(|(c, _)| c.is_some())
                .map(|(_, from)| match from {
                    CredsFrom::File { file, .. } => format!(
                        "; lade still reads credentials for it from {}, which logout \
                         does not change (as skopeo's does not)",
                        file.display()
                    ),
                    from => format!("; lade still reads credentials for it from {from}"),
                })
                .unwrap_or_default();
            return Err(Error::not_found(format!(
                "not logged in to {h} (in {}){from}",
                places.join(", ")
            )));
        }
        // Nothing stored is what --all asks for.
        None => said("Removed login credentials for all registries".into())?,
    }
    Ok(0)
}

/// One line on stdout (as skopeo says what login and logout did); a
/// failed write is an error, a closed pipe a quiet end.
fn said(line: String) -> Result<()> {
    let mut out = super::stdout();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::registry_host;

    #[test]
    fn a_registry_argument_names_that_registry() {
        let h = |s: &str| registry_host(s).unwrap();
        // A one-word host is that host, never a Docker Hub namespace.
        assert_eq!(h("myreg"), ("myreg".into(), "myreg".into()));
        assert_eq!(h("myreg/team"), ("myreg".into(), "myreg/team".into()));
        assert_eq!(
            h("docker://nexus:5000/a/b"),
            ("nexus:5000".into(), "nexus:5000/a/b".into())
        );
        for hub in [
            "docker.io",
            "index.docker.io",
            "https://registry-1.docker.io/v2/",
        ] {
            assert_eq!(h(hub), ("docker.io".into(), "docker.io".into()), "{hub}");
        }
        assert_eq!(
            h("docker.io/library"),
            ("docker.io".into(), "docker.io/library".into())
        );
        assert!(registry_host("myreg/app:1").is_err());
    }
}
