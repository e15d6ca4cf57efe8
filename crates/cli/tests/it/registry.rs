//! `stencil key`, `stencil publish` and `stencil registry` end to end:
//! publish a template into a directory and trust it back through `file://`.

use crate::common::{Env, TestResult};

#[test]
fn key_generate_prints_the_public_key_alone_and_never_overwrites() -> TestResult {
    let env = Env::new();
    let run = env.run(&["key", "generate", "--out", "k"]).ok();
    let public = run.stdout.trim_end().to_owned();
    assert!(public.starts_with("ed25519:"), "{}", run.stdout);
    assert_eq!(run.stdout.lines().count(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("k"))?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = env.run(&["key", "public", "k"]).ok();
    assert_eq!(again.stdout.trim_end(), public);
    let before = std::fs::read(env.path("k"))?;
    env.run(&["key", "generate", "--out", "k"])
        .fails_with(&["never overwritten"]);
    assert_eq!(std::fs::read(env.path("k"))?, before);
    Ok(())
}

#[test]
fn publish_then_add_list_and_remove_through_a_file_url() -> TestResult {
    let env = Env::new();
    env.catalogue_with_template()?;
    let public = env.run(&["key", "generate", "--out", "k"]).ok().stdout;
    let public = public.trim_end();
    let registry = env.path("registry");
    let registry_arg = registry.to_str().ok_or("path")?;

    let first = env
        .run(&[
            "--json",
            "publish",
            registry_arg,
            "--key",
            "k",
            "--template",
            "svc",
            "--artifact",
            "command:ship",
        ])
        .ok()
        .json();
    assert_eq!(
        first["published"],
        serde_json::json!(["template:svc@1", "command:ship@1"])
    );
    assert_eq!(first["root_version"], 1);
    assert!(registry.join("root.json").is_file());
    assert!(registry.join("snapshot.json").is_file());
    let again = env
        .run(&[
            "--json",
            "publish",
            registry_arg,
            "--key",
            "k",
            "--template",
            "svc",
        ])
        .ok()
        .json();
    assert_eq!(again["snapshot_version"], serde_json::Value::Null);
    assert_eq!(again["unchanged"], serde_json::json!(["template:svc@1"]));

    let url = format!("file://{registry_arg}");
    env.run(&[
        "registry",
        "add",
        "team",
        &url,
        "--trust",
        "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ])
    .fails_with(&["weak"]);
    let stranger = env.run(&["key", "generate", "--out", "k2"]).ok().stdout;
    env.run(&[
        "registry",
        "add",
        "team",
        &url,
        "--trust",
        stranger.trim_end(),
    ])
    .fails_with(&["registry `team`", "root.json", "signature"]);
    let added = env
        .run(&["registry", "add", "team", &url, "--trust", public])
        .ok();
    assert!(
        added.stdout.contains("added registry `team`"),
        "{}",
        added.stdout
    );
    let listed = env.run(&["--json", "registry", "list"]).ok().json();
    assert_eq!(listed["registries"][0]["name"], "team");
    assert_eq!(listed["registries"][0]["snapshot_version"], 2);
    assert_eq!(listed["registries"][0]["packages"], 2);
    env.run(&["registry", "add", "team", &url, "--trust", public])
        .fails_with(&["exists already"]);
    env.run(&["registry", "remove", "team"]).ok();
    let listed = env.run(&["--json", "registry", "list"]).ok().json();
    assert_eq!(listed["registries"], serde_json::json!([]));
    env.run(&["registry", "remove", "team"])
        .fails_with(&["no registry `team`"]);
    Ok(())
}

#[test]
fn registry_add_by_root_digest() -> TestResult {
    let env = Env::new();
    env.catalogue_with_template()?;
    env.run(&["key", "generate", "--out", "k"]).ok();
    let registry = env.path("registry");
    let registry_arg = registry.to_str().ok_or("path")?;
    env.run(&["publish", registry_arg, "--key", "k", "--template", "svc"])
        .ok();
    let root = std::fs::read(registry.join("root.json"))?;
    let digest = format!("sha256:{}", stencil::registry::sha256_hex(&root));
    env.run(&["registry", "add", "team", registry_arg, "--trust", &digest])
        .ok();
    let wrong = format!("sha256:{}", "0".repeat(64));
    env.run(&["registry", "add", "other", registry_arg, "--trust", &wrong])
        .fails_with(&["pinned sha256"]);
    Ok(())
}

#[test]
fn publish_refuses_bad_durations_and_empty_selections() -> TestResult {
    let env = Env::new();
    env.catalogue_with_template()?;
    env.run(&["key", "generate", "--out", "k"]).ok();
    env.run(&["publish", "r", "--key", "k"])
        .fails_with(&["nothing to publish"]);
    env.run(&[
        "publish",
        "r",
        "--key",
        "k",
        "--template",
        "svc",
        "--expires",
        "soon",
    ])
    .fails_with(&["--expires"]);
    let run = env
        .run(&[
            "--json",
            "publish",
            "r",
            "--key",
            "k",
            "--template",
            "svc",
            "--expires",
            "2d",
        ])
        .ok()
        .json();
    assert_eq!(run["snapshot_version"], 2);
    let refreshed = env
        .run(&["--json", "publish", "r", "--key", "k", "--refresh"])
        .ok()
        .json();
    assert_eq!(refreshed["snapshot_version"], 3);
    Ok(())
}

#[test]
fn install_from_a_trusted_registry_with_refresh_and_offline() -> TestResult {
    let env = Env::new();
    env.catalogue_with_template()?;
    let public = env.run(&["key", "generate", "--out", "k"]).ok().stdout;
    let registry = env.path("registry");
    let registry_arg = registry.to_str().ok_or("path")?;
    env.run(&["publish", registry_arg, "--key", "k", "--template", "svc"])
        .ok();
    let url = format!("file://{registry_arg}");
    env.run(&[
        "registry",
        "add",
        "team",
        &url,
        "--trust",
        public.trim_end(),
    ])
    .ok();

    let installed = env
        .run(&["--json", "install", "team/template:svc", "--refresh"])
        .ok()
        .json();
    assert_eq!(installed["installed"][0]["package"], "template:svc@1");
    assert_eq!(installed["installed"][0]["template"], "svc");
    let human = env
        .run(&["install", "team/template:svc@1", "--offline"])
        .ok();
    assert!(
        human
            .stdout
            .contains("installed template:svc@1 from `team`"),
        "{}",
        human.stdout
    );
    // The registry and type may be left out when the name is unique.
    let short = env.run(&["--json", "install", "svc"]).ok().json();
    assert_eq!(short["installed"][0]["package"], "template:svc@1");
    assert_eq!(short["installed"][0]["registry"], "team");
    env.run(&["install", "team/"])
        .fails_with(&["[REGISTRY/][TYPE:]NAME"]);
    env.run(&["install", "team/template:svc@two"])
        .fails_with(&["not a number"]);
    env.run(&["install", "team/template:nope"])
        .fails_with(&["no package `template:nope`"]);
    env.run(&["install", "elsewhere/template:svc"])
        .fails_with(&["elsewhere"]);
    Ok(())
}

#[test]
fn install_outdated_upgrade_search_and_sync_end_to_end() -> TestResult {
    let env = Env::new();
    env.catalogue_with_template()?;
    let public = env.run(&["key", "generate", "--out", "k"]).ok().stdout;
    let registry = env.path("registry");
    let registry_arg = registry.to_str().ok_or("path")?;
    let publish = |env: &Env| {
        env.run(&[
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
    publish(&env);
    let url = format!("file://{registry_arg}");
    env.run(&[
        "registry",
        "add",
        "team",
        &url,
        "--trust",
        public.trim_end(),
    ])
    .ok();
    // A second catalogue installs from the registry.
    let user = Env::new();
    user.run(&["init"]).ok();
    user.run(&[
        "registry",
        "add",
        "team",
        &url,
        "--trust",
        public.trim_end(),
    ])
    .ok();
    let synced = user
        .run(&["--json", "registry", "sync", "team"])
        .ok()
        .json();
    assert_eq!(synced["packages"], 2);
    assert_eq!(synced["downloaded"], 2);
    let installed = user
        .run(&["--json", "install", "svc", "command:ship", "--offline"])
        .ok()
        .json();
    assert_eq!(installed["installed"].as_array().ok_or("array")?.len(), 2);
    assert!(
        installed["notes"][0]
            .as_str()
            .ok_or("note")?
            .contains("offline")
    );

    let current = user.run(&["--json", "outdated", "--check"]).ok().json();
    assert_eq!(current["outdated"], 0);
    let hits = user.run(&["--json", "search", "ship"]).ok().json();
    assert_eq!(hits["packages"][0]["name"], "ship");
    assert_eq!(hits["packages"][0]["installed"], 1);
    let templates = user
        .run(&["--json", "search", "--type", "template"])
        .ok()
        .json();
    assert_eq!(templates["packages"].as_array().ok_or("array")?.len(), 1);

    // A new version of ship is published: outdated --check exits 3.
    {
        let catalog = stencil::store::Catalog::open(&env.catalog)?;
        let key = stencil::store::ArtifactKey::parse("command:ship")?;
        let mut ship = stencil::store::NewArtifact::new(key);
        ship = ship.file(".claude/commands/ship.md", "Ship it, v2.\n");
        catalog.put_artifact(&ship)?;
    }
    publish(&env);
    let run = user.run(&["--json", "outdated", "--refresh", "--check"]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let stale = run.json();
    assert_eq!(stale["outdated"], 2, "{stale}");
    let dry = user.run(&["--json", "upgrade", "--dry-run"]).ok().json();
    assert_eq!(dry["upgrades"].as_array().ok_or("array")?.len(), 2);
    assert_eq!(dry["installed"], serde_json::json!([]));
    let done = user.run(&["upgrade", "team/command:ship"]).ok();
    assert!(
        done.stdout.contains("upgraded team/command:ship: 1 -> 2"),
        "{}",
        done.stdout
    );
    let after = user.run(&["--json", "outdated"]).ok().json();
    assert_eq!(after["outdated"], 1);
    user.run(&["upgrade"]).ok();
    user.run(&["outdated", "--check"]).ok();
    user.run(&["upgrade", "nothing-like-this"])
        .fails_with(&["no installed package"]);
    Ok(())
}
