//! A synthetic but realistic `.claude/` tree for the import benchmark (issue
//! 8's target: ~400 files / ~10 MB with ~50 binaries imports in well under a
//! second): skills with Markdown, brace-heavy Python and JS, HTML with
//! `{{ user.name }}`, executable scripts and binary assets; commands,
//! agents, rules and a `CLAUDE.md`. Deterministic: the same spec gives the
//! same bytes.

use std::fs;
use std::io;
use std::path::Path;

/// The shape of a generated tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeSpec {
    /// Regular files in total.
    pub files: usize,
    /// Of which binary (NUL bytes; stored verbatim).
    pub binaries: usize,
    /// Approximate total size.
    pub bytes: usize,
}

impl Default for TreeSpec {
    /// ~400 files, ~10 MB, 50 binaries.
    fn default() -> TreeSpec {
        TreeSpec {
            files: 400,
            binaries: 50,
            bytes: 10 * 1024 * 1024,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Regular files written.
    pub files: usize,
    /// Of which binary.
    pub binaries: usize,
    /// Their total size.
    pub bytes: u64,
}

/// A small deterministic generator (xorshift), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Text of about `len` bytes, cycling through a few realistic kinds of
/// content chosen by the file extension.
pub(crate) fn text(ext: &str, len: usize, seed: usize) -> Vec<u8> {
    let para: &str = match ext {
        "py" => {
            "def header(title: str) -> str:\n    return f\"<h1 class=\\\"{{{NS}}}\\\">{title}</h1>\"\n\n\
             data = {\"k\": [1, 2, {\"n\": {\"m\": 3}}]}\nprint(f\"{{\\\"ns\\\": \\\"{NS}\\\"}}\")\n\n"
        }
        "js" => {
            "const cfg = { a: { b: { c: [1, 2, { d: 3 }] } } };\n\
             function r(t) { return t.replace(/{{\\s*(\\w+)\\s*}}/g, (_, k) => cfg[k] ?? \"\"); }\n"
        }
        "html" => {
            "<section class=\"card\">\n  <p>Signed in as {{ user.name }}</p>\n  \
             <p>Project {{PROJECT_NAME}}</p>\n</section>\n"
        }
        "sh" => "#!/bin/sh\nset -eu\necho \"building ${PROJECT:-x}\" && test -n \"${HOME}\"\n",
        "yml" => "      - run: echo \"releasing ${{ github.ref }} for {{PROJECT_NAME}}\"\n",
        _ => {
            "## Section\n\nWork on {{PROJECT_NAME}} follows the team's rules; \
             see `src/lib.rs` and keep `{ braces }` balanced. Owner: {{AUTHOR}}.\n\n"
        }
    };
    let mut out = Vec::with_capacity(len + para.len());
    if ext == "md" {
        out.extend_from_slice(
            format!("---\nname: item-{seed}\ndescription: Generated item {seed}\n---\n").as_bytes(),
        );
    }
    while out.len() < len {
        out.extend_from_slice(para.as_bytes());
    }
    out
}

fn binary(len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    // A NUL early, as in any PNG or font: binary for the sniffer.
    if let Some(b) = out.get_mut(4) {
        *b = 0;
    }
    out
}

pub(crate) fn write(
    root: &Path,
    rel: &str,
    content: &[u8],
    exec: bool,
    stats: &mut TreeStats,
) -> io::Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&path, content)?;
    #[cfg(unix)]
    if exec {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
    }
    #[cfg(not(unix))]
    let _ = exec;
    stats.files += 1;
    stats.bytes += content.len() as u64;
    Ok(())
}

/// Writes a tree shaped by `spec` under `root` (which holds `CLAUDE.md` and
/// `.claude/`). About half the bytes are in the binaries.
///
/// Layout: one skill per ten files (`SKILL.md`, `scripts/*.py` and `*.sh`
/// executable, `templates/*.html`, `assets/*.js`, `ci/*.yml`, `assets/*.bin`),
/// the rest spread over commands, agents and rules.
pub fn generate(root: &Path, spec: TreeSpec) -> io::Result<TreeStats> {
    let mut stats = TreeStats::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let text_files = spec.files.saturating_sub(spec.binaries).max(1);
    let binary_bytes = spec.bytes / 2;
    let bin_len = binary_bytes / spec.binaries.max(1);
    let text_len = (spec.bytes - binary_bytes) / text_files;

    write(
        root,
        "CLAUDE.md",
        &text("md", text_len, 0),
        false,
        &mut stats,
    )?;
    let mut made_text = 1;
    let mut made_bin = 0;
    let skills = spec.files / 10;
    let kinds = ["py", "sh", "html", "js", "yml", "md"];
    for s in 0..skills {
        let base = format!(".claude/skills/skill-{s:03}");
        write(
            root,
            &format!("{base}/SKILL.md"),
            &text("md", text_len, s),
            false,
            &mut stats,
        )?;
        made_text += 1;
        for (i, ext) in kinds.iter().enumerate() {
            if made_text >= text_files {
                break;
            }
            let dir = match *ext {
                "py" | "sh" => "scripts",
                "html" => "templates",
                "yml" => "ci",
                "md" => "docs",
                _ => "assets",
            };
            let rel = format!("{base}/{dir}/file-{i}.{ext}");
            let exec = matches!(*ext, "py" | "sh");
            write(
                root,
                &rel,
                &text(ext, text_len, s * 10 + i),
                exec,
                &mut stats,
            )?;
            made_text += 1;
        }
        if made_bin < spec.binaries {
            let rel = format!("{base}/assets/logo-{s}.bin");
            write(root, &rel, &binary(bin_len, &mut rng), false, &mut stats)?;
            made_bin += 1;
        }
    }
    // Binaries not placed in a skill go to a shared assets folder.
    while made_bin < spec.binaries {
        let rel = format!(".claude/assets/blob-{made_bin}.bin");
        write(root, &rel, &binary(bin_len, &mut rng), false, &mut stats)?;
        made_bin += 1;
    }
    let folders = ["commands", "agents", "rules"];
    let mut n = 0;
    while made_text < text_files {
        let folder = folders[n % folders.len()];
        let rel = format!(".claude/{folder}/group-{}/item-{n:04}.md", n % 7);
        write(root, &rel, &text("md", text_len, n), false, &mut stats)?;
        made_text += 1;
        n += 1;
    }
    stats.binaries = made_bin;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tree_has_the_asked_shape() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let stats = generate(dir.path(), TreeSpec::default())?;
        assert_eq!(stats.files, 400);
        assert_eq!(stats.binaries, 50);
        let mb = stats.bytes as f64 / (1024.0 * 1024.0);
        assert!((9.5..=10.5).contains(&mb), "{mb} MB");
        Ok(())
    }
}
