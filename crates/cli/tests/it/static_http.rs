//! Every registry command through the built binary against a published
//! registry directory served over real HTTP on loopback by a plain static
//! file server that is not ours (`python3 -m http.server`): static hosting
//! is all a registry needs. Skipped, visibly, where `python3` is absent.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::common::{Env, TestResult};

/// `python3 -m http.server` serving one directory; killed when dropped so a
/// failing assertion never leaves it running.
struct StaticServer {
    child: Child,
    addr: SocketAddr,
}

impl StaticServer {
    /// Starts the server on a free loopback port and waits until it answers
    /// an HTTP request; `None` when `python3` cannot be started or exits
    /// before it answers.
    fn start(dir: &Path) -> Result<Option<StaticServer>, Box<dyn std::error::Error>> {
        // A port the system just handed out and nobody holds now.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let spawned = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = spawned else {
            return Ok(None);
        };
        let mut server = StaticServer {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server.answers() {
            if server.child.try_wait()?.is_some() {
                // A `python3` that exits at once (a shim without an
                // interpreter behind it, no `http.server`): not ours to test.
                return Ok(None);
            }
            if Instant::now() > deadline {
                return Err("python3 -m http.server did not answer within 30 s".into());
            }
            sleep(Duration::from_millis(50));
        }
        Ok(Some(server))
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether an HTTP request for `/` gets an HTTP answer.
    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if stream
            .write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut head = [0u8; 5];
        stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_registry_command_works_against_a_plain_static_http_server() -> TestResult {
    let publisher = Env::new();
    publisher.catalogue_with_template()?;
    let public = publisher
        .run(&["key", "generate", "--out", "k"])
        .ok()
        .stdout;
    let trust = public.trim_end();
    let registry = publisher.path("registry");
    let registry_arg = registry.to_str().ok_or("path")?;
    let publish = || {
        publisher
            .run(&[
                "publish",
                registry_arg,
                "--key",
                "k",
                "--template",
                "svc",
                "--artifact",
                "command:ship",
            ])
            .ok();
    };
    publish();
    let Some(server) = StaticServer::start(&registry)? else {
        println!(
            "SKIP every_registry_command_works_against_a_plain_static_http_server: python3 missing or exits at once"
        );
        return Ok(());
    };
    let url = server.url();

    let user = Env::new();
    user.run(&["init"]).ok();
    user.run(&["registry", "add", "team", &url, "--trust", trust])
        .ok();
    let installed = user
        .run(&["--json", "install", "team/template:svc", "command:ship"])
        .ok()
        .json();
    assert_eq!(installed["installed"].as_array().ok_or("array")?.len(), 2);
    assert_eq!(installed["installed"][0]["package"], "template:svc@1");
    assert_eq!(installed["installed"][0]["registry"], "team");
    let hits = user
        .run(&["--json", "search", "ship", "--refresh"])
        .ok()
        .json();
    assert_eq!(hits["packages"][0]["name"], "ship");
    assert_eq!(hits["packages"][0]["installed"], 1);
    let current = user
        .run(&["--json", "outdated", "--check", "--refresh"])
        .ok()
        .json();
    assert_eq!(current["outdated"], 0);

    // A second publish of both. `http.server` validates with `Last-Modified`
    // only, to the second: a snapshot rewritten within the second of the
    // first would be answered 304 to `If-Modified-Since`, so let a second
    // pass first (a limit of the validator, not of this server).
    sleep(Duration::from_millis(1100));
    {
        let catalog = stencil::store::Catalog::open(&publisher.catalog)?;
        let key = stencil::store::ArtifactKey::parse("command:ship")?;
        catalog.put_artifact(
            &stencil::store::NewArtifact::new(key)
                .file(".claude/commands/ship.md", "Ship it, v2.\n"),
        )?;
    }
    publish();
    let run = user.run(&["--json", "outdated", "--refresh", "--check"]);
    assert_eq!(run.code, Some(3), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["outdated"], 2, "{}", run.stdout);
    let upgraded = user.run(&["upgrade"]).ok();
    assert!(
        upgraded
            .stdout
            .contains("upgraded team/command:ship: 1 -> 2"),
        "{}",
        upgraded.stdout
    );
    user.run(&["outdated", "--check"]).ok();

    // A third catalogue warms its own cache, then installs with the server gone.
    let offline = Env::new();
    offline.run(&["init"]).ok();
    offline
        .run(&["registry", "add", "team", &url, "--trust", trust])
        .ok();
    let synced = offline
        .run(&["--json", "registry", "sync", "team"])
        .ok()
        .json();
    // Two versions each of the template and the command.
    assert_eq!(synced["packages"], 4, "{synced}");
    assert_eq!(synced["downloaded"], 4, "{synced}");
    drop(server);
    let gone = TcpStream::connect_timeout(
        &url.trim_start_matches("http://").parse()?,
        Duration::from_secs(1),
    );
    assert!(gone.is_err(), "the static server still answers");
    let from_cache = offline
        .run(&["--json", "install", "svc", "command:ship", "--offline"])
        .ok()
        .json();
    let packages: Vec<&str> = from_cache["installed"]
        .as_array()
        .ok_or("array")?
        .iter()
        .filter_map(|p| p["package"].as_str())
        .collect();
    assert_eq!(packages, ["template:svc@2", "command:ship@2"]);
    assert!(
        from_cache["notes"][0]
            .as_str()
            .ok_or("note")?
            .contains("offline"),
        "{from_cache}"
    );
    Ok(())
}
