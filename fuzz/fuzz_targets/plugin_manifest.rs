//! Untrusted plugin metadata: arbitrary bytes as a plugin's
//! `.claude-plugin/plugin.json` (or only a twin, `.codex-plugin/plugin.json`),
//! or as a marketplace's `.claude-plugin/marketplace.json` whose local
//! plugin `plugins/p` has a second arbitrary manifest, read through the
//! public `stencil::import::scan_tree` with the layout detected or forced.
//! Scanning must never panic; what it accepts stays inside the tree.
//!
//! Input: one selector byte, then the first manifest, then (after the
//! first 0xFF byte, which valid JSON never holds) the nested one.

#![no_main]

use std::fs;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use stencil::import::{ImportError, ImportOptions, Layout, scan_tree};

/// Component files a fuzzed manifest may point at (by default folders or
/// custom paths such as `./extra`).
const FILES: [(&str, &str); 6] = [
    ("agents/a.md", "---\ndescription: a\n---\nAgent.\n"),
    ("commands/c.md", "Command {{PROJECT_NAME}}.\n"),
    ("skills/s/SKILL.md", "---\ndescription: s\n---\nSkill.\n"),
    ("extra/x.md", "Extra.\n"),
    ("hooks/hooks.json", "{\"hooks\": {}}\n"),
    (".mcp.json", "{\"mcpServers\": {}}\n"),
];

fn write(root: &Path, rel: &str, content: &[u8]) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, content).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let (first, nested) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b"{\"name\": \"p\"}"[..]),
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let manifest = match which % 3 {
        0 => ".claude-plugin/plugin.json",
        1 => ".codex-plugin/plugin.json",
        _ => ".claude-plugin/marketplace.json",
    };
    write(root, manifest, first);
    for (rel, content) in FILES {
        write(root, rel, content.as_bytes());
        write(root, &format!("plugins/p/{rel}"), content.as_bytes());
    }
    write(root, "plugins/p/.claude-plugin/plugin.json", nested);
    let layout = match (which / 3) % 4 {
        0 => Layout::Auto,
        1 => Layout::Plugin,
        2 => Layout::Marketplace,
        _ => Layout::Tree,
    };
    match scan_tree(root, &ImportOptions::new().layout(layout)) {
        Ok(tree) => {
            for plugin in &tree.plugins {
                assert!(!plugin.meta.name.trim().is_empty(), "{plugin:?}");
            }
            // Every accepted file lands at a relative path inside the
            // project, whatever the manifest said.
            for artifact in &tree.artifacts {
                for file in &artifact.files {
                    assert!(
                        !file.path.starts_with('/')
                            && !file.path.contains('\\')
                            && file.path.split('/').all(|c| c != ".." && !c.is_empty()),
                        "{}: {:?}",
                        artifact.key,
                        file.path
                    );
                }
            }
        }
        // Scanning touches no catalogue: its errors cannot occur here.
        Err(
            e @ (ImportError::Store { .. }
            | ImportError::Collection { .. }
            | ImportError::CollectionFill { .. }),
        ) => panic!("a scan reported a catalogue error: {e}"),
        // Anything else is a refusal (malformed metadata by file and field,
        // a forced layout without its manifest, two files at one key …);
        // its message must still format.
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
