//! Artifacts whose files run code: hooks and MCP server configurations.
//!
//! They are imported verbatim (a `{{VARIABLE}}` substituted into a shell
//! command is an injection), flagged in import reports and `artifact show`
//! so users can review what runs before installing it, and placed only
//! where an assistant reads them:
//!
//! | type   | as stored, `.claude/`              | `.cursor/`          | `.codex/`, `.gemini/`, custom |
//! |--------|------------------------------------|---------------------|-------------------------------|
//! | `hook` | `.claude/hooks/<plugin>/…`         | refused             | refused                       |
//! | `mcp`  | `.mcp.json`                        | `.cursor/mcp.json`  | refused                       |
//!
//! Cursor reads the same `{"mcpServers": …}` format from `.cursor/mcp.json`;
//! Codex keeps MCP servers in TOML (`config.toml`) and Gemini inside
//! `settings.json`, and no other assistant runs Claude Code's hook format, so
//! a byte-for-byte copy there would be dead or wrong: the deploy refuses
//! with [`Error::NoTarget`] instead.

use crate::Error;
use crate::profile::PathProfile;
use crate::store::ArtifactKey;

/// The artifact types whose files run code on the user's machine.
pub const EXECUTABLE_KINDS: [&str; 2] = ["hook", "mcp"];

/// Whether `key`'s files run code (a hook, an MCP server configuration):
/// what an import report and `artifact show` flag for review.
///
/// ```
/// use stencil::is_executable_content;
/// use stencil::store::ArtifactKey;
///
/// assert!(is_executable_content(&ArtifactKey::parse("hook:formatter")?));
/// assert!(!is_executable_content(&ArtifactKey::parse("agent:formatter/fmt")?));
/// # Ok::<(), stencil::store::Error>(())
/// ```
pub fn is_executable_content(key: &ArtifactKey) -> bool {
    EXECUTABLE_KINDS.contains(&key.kind())
}

/// Where a file of `key` lands under `profile`: the profiled path for most
/// artifacts, the table above for executable ones.
pub(crate) fn place(key: &ArtifactKey, path: &str, profile: &PathProfile) -> Result<String, Error> {
    let refuse = |reason: &'static str| Error::NoTarget {
        artifact: key.to_string(),
        profile: profile.to_string(),
        reason,
    };
    match (key.kind(), profile) {
        ("hook", PathProfile::AsStored | PathProfile::Claude) => Ok(profile.apply(path)),
        ("hook", _) => Err(refuse(
            "hooks use Claude Code's format, which this assistant does not run",
        )),
        ("mcp", PathProfile::AsStored | PathProfile::Claude) => Ok(path.to_string()),
        ("mcp", PathProfile::Cursor) if path == ".mcp.json" => Ok(".cursor/mcp.json".to_string()),
        ("mcp", _) => Err(refuse(
            "this assistant keeps MCP servers in its own settings format (Codex: config.toml, \
             Gemini: settings.json); add them there by hand",
        )),
        _ => Ok(profile.apply(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executable_content_lands_only_where_it_runs() {
        let hook = ArtifactKey::parse("hook:fmt").unwrap();
        let mcp = ArtifactKey::parse("mcp:fmt").unwrap();
        let agent = ArtifactKey::parse("agent:fmt/a").unwrap();
        let at = |k: &ArtifactKey, p: &str, profile: PathProfile| place(k, p, &profile).ok();
        let hook_file = ".claude/hooks/fmt/hooks/hooks.json";
        assert_eq!(
            at(&hook, hook_file, PathProfile::Claude).as_deref(),
            Some(hook_file)
        );
        assert_eq!(at(&hook, hook_file, PathProfile::Codex), None);
        assert_eq!(at(&hook, hook_file, PathProfile::Cursor), None);
        assert_eq!(
            at(&mcp, ".mcp.json", PathProfile::AsStored).as_deref(),
            Some(".mcp.json")
        );
        assert_eq!(
            at(&mcp, ".mcp.json", PathProfile::Cursor).as_deref(),
            Some(".cursor/mcp.json")
        );
        assert_eq!(at(&mcp, ".mcp.json", PathProfile::Gemini), None);
        assert_eq!(
            at(&agent, ".claude/agents/a.md", PathProfile::Codex).as_deref(),
            Some(".codex/agents/a.md")
        );
    }
}
