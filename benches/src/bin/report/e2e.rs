//! End to end: `deploy_template` of the original's acceptance case.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use stencil::deploy::{DeployOptions, Durability};
use stencil::{TemplateDeployOptions, deploy_template};
use stencil_benches::deploy_data::naive;
use stencil_benches::e2e_corpus::{TEMPLATE, VARS, acceptance_catalog, rendered};
use stencil_benches::quick::{Figure, Row, median_with_setup};

pub fn rows(budget: Duration, rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = acceptance_catalog(&dir.path().join("catalog.db")).expect("catalogue");
    let projects = dir.path().join("projects");
    let next = AtomicUsize::new(0);
    let fresh = || projects.join(next.fetch_add(1, Ordering::Relaxed).to_string());
    let rendered = rendered(&catalog);
    let floor = median_with_setup(budget, fresh, |root| naive(&root, &rendered));
    for (name, durability) in [("None", Durability::None), ("Batch", Durability::Batch)] {
        let options = TemplateDeployOptions::new()
            .deploy_options(DeployOptions::new().durability(durability));
        let t = median_with_setup(budget, fresh, |root| {
            let report =
                deploy_template(&catalog, TEMPLATE, &root, VARS, &options).expect("deploys");
            assert_eq!(report.deploy.written.len(), 10);
        });
        rows.push(
            Row::new(
                format!(
                    "end to end: deploy_template, 10 entities, on-disk catalogue → empty dir (durability {name})"
                ),
                Figure::p50(t),
            )
            .against(
                "direct writes of the rendered files (floor)",
                Figure::time(floor),
            )
            .target(
                "p50 ≤ 3 ms (original: < 5 s p95)",
                t <= Duration::from_millis(3),
            ),
        );
    }
}
