//! Peak memory of whole processes: the report runs itself again as a child
//! (`report --memory-child import|deploy …`) that imports a tree or deploys
//! a template through the library, as `stencil import` / `stencil deploy`
//! do, and prints its peak resident set (`VmHWM`, Linux). Two shapes: a
//! template of 24 files × 10 MiB (text, one placeholder a line) and one of
//! 10,000 files × 1 KiB.

use std::path::Path;
use std::process::Command;

use stencil::import::{ImportOptions, import_tree};
use stencil::store::{ArtifactKey, Catalog, TemplateSpec};
use stencil::{TemplateDeployOptions, deploy_template};
use stencil_benches::quick::{Figure, Row};

const MIB: f64 = (1 << 20) as f64;

/// A tree of skills: `skills` skills, each a `SKILL.md` and `files - 1`
/// more files of `size` bytes. Returns the skill keys and the bytes.
fn generate(root: &Path, skills: usize, files: usize, size: usize) -> (Vec<ArtifactKey>, u64) {
    let line = b"lorem ipsum dolor sit amet {{PROJECT_NAME}} consectetur adipiscing\n";
    let body: Vec<u8> = line.iter().copied().cycle().take(size).collect();
    let mut keys = Vec::new();
    let mut bytes = 0;
    for s in 0..skills {
        let dir = root.join(format!(".claude/skills/s{s:03}"));
        std::fs::create_dir_all(&dir).expect("create the tree");
        let head =
            format!("---\nname: s{s:03}\ndescription: memory\n---\n# {{{{PROJECT_NAME}}}}\n");
        std::fs::write(dir.join("SKILL.md"), &head).expect("write");
        bytes += head.len() as u64;
        for f in 1..files {
            // Distinct files: content-addressed blobs would share equal ones.
            let mut own = body.clone();
            own.extend_from_slice(format!("{s}/{f}\n").as_bytes());
            std::fs::write(dir.join(format!("f{f:03}.md")), &own).expect("write");
            bytes += own.len() as u64;
        }
        keys.push(ArtifactKey::new("skill", format!("s{s:03}")).expect("key"));
    }
    (keys, bytes)
}

/// This process's peak resident set, in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child: `import CATALOG TREE` or `deploy CATALOG PROJECT`; prints its
/// peak in KiB.
pub fn child(args: &[String]) -> ! {
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        match args {
            [what, catalog, path] if what == "import" => {
                let catalog = Catalog::open(catalog)?;
                import_tree(&catalog, path, &ImportOptions::new())?;
            }
            [what, catalog, path] if what == "deploy" => {
                let catalog = Catalog::open(catalog)?;
                let options = TemplateDeployOptions::new();
                deploy_template(&catalog, "t", path, [("PROJECT_NAME", "demo")], &options)?;
            }
            _ => return Err(format!("bad --memory-child arguments {args:?}").into()),
        }
        Ok(())
    };
    match run().map(|()| peak_kib()) {
        Ok(Some(kib)) => {
            println!("{kib}");
            std::process::exit(0)
        }
        Ok(None) => {
            eprintln!("report: no VmHWM in /proc/self/status");
            std::process::exit(3)
        }
        Err(e) => {
            eprintln!("report: {e}");
            std::process::exit(1)
        }
    }
}

/// Runs one child and returns its peak in MiB.
fn measure(what: &str, catalog: &Path, path: &Path) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg("--memory-child")
        .args([what.as_ref(), catalog.as_os_str(), path.as_os_str()])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let kib: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("{e}"))?;
    Ok(kib / 1024.0)
}

pub fn rows(rows: &mut Vec<Row>) {
    if !cfg!(target_os = "linux") {
        eprintln!("memory: measured on Linux only (VmHWM)");
        return;
    }
    let shapes = [
        ("24 files × 10 MiB", 1, 25, 10 << 20, 128.0, "≤ 128 MiB"),
        ("10,000 files × 1 KiB", 200, 50, 1 << 10, 40.0, "≤ 40 MiB"),
    ];
    for (label, skills, files, size, goal, target) in shapes {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = dir.path().join("tree");
        let (keys, bytes) = generate(&tree, skills, files, size);
        let db = dir.path().join("catalog.db");
        let template = bytes as f64 / MIB;
        let size_of = Figure::new(template, "MiB", format!("{template:.0} MiB"));
        let mut row = |step: &str, peak: Result<f64, String>| {
            let name = format!("peak memory (whole process): {step}, template of {label}");
            rows.push(match peak {
                Ok(mib) => Row::new(name, Figure::new(mib, "MiB", format!("{mib:.0} MiB")))
                    .against("the template's size", size_of.clone())
                    .ratio(template / mib)
                    .target(
                        format!("{target}, independent of template size"),
                        mib <= goal,
                    ),
                Err(why) => Row::new(name, Figure::new(f64::NAN, "MiB", "—"))
                    .unmeasured("the template's size", why),
            });
        };
        row("import", measure("import", &db, &tree));
        let spec = keys
            .into_iter()
            .fold(TemplateSpec::new("t"), |t, k| t.entity(k, true));
        Catalog::open(&db)
            .and_then(|c| c.create_template(&spec))
            .expect("create the template");
        row(
            "deploy",
            measure("deploy", &db, &dir.path().join("project")),
        );
    }
}
