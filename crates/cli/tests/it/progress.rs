//! The progress bar, on a real terminal (through `script`, which gives the
//! binary a pseudo-terminal): its position never passes its total.

use std::process::Command;

use crate::common::{Env, TestResult};

/// Every `POS/LEN` the bar drew, from the terminal's bytes.
fn fractions(output: &str) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for frame in output.split(['\r', '\n']) {
        let Some(end) = frame.find(']') else { continue };
        let tail = &frame[end + 1..];
        let word: String = tail
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '/')
            .collect();
        if let Some((pos, len)) = word.split_once('/')
            && let (Ok(pos), Ok(len)) = (pos.parse(), len.parse())
        {
            out.push((pos, len));
        }
    }
    out
}

#[test]
fn the_import_bar_never_shows_more_done_than_its_total() -> TestResult {
    let env = Env::new();
    // Many files, few artifacts: one skill of 5,000 files and a command (enough work that the bar draws).
    for i in 0..5000 {
        env.write(
            &format!("src/.claude/skills/big/f{i}.md"),
            format!("file {i}\n"),
        );
    }
    env.write("src/.claude/commands/ship.md", "Ship.\n");
    let line = format!(
        "NO_COLOR=1 {} --catalog {} import {}",
        env!("CARGO_BIN_EXE_stencil"),
        env.catalog.display(),
        env.path("src").display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(env.dir.path())
        .env_remove("STENCIL_CATALOG")
        .output()
        .map_err(|e| format!("this test needs `script` (util-linux) for a terminal: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("imported 5001 files"), "{text}");
    let drawn = fractions(&text);
    assert!(
        !drawn.is_empty(),
        "no bar was drawn on the terminal:\n{text:?}"
    );
    for (pos, len) in &drawn {
        assert!(pos <= len, "the bar showed {pos}/{len}: {drawn:?}");
    }
    Ok(())
}
