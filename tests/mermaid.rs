//! Every Mermaid diagram of every rendered README renders with the real Mermaid library
//! (npm `mermaid`, in `tests/browser/node_modules`) in headless Chromium, and a broken
//! diagram makes the check fail. One screenshot per target is kept in the test's temporary
//! folder (its path is printed; run with `--nocapture` to see it).

use crate::support::tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script() -> PathBuf {
    let browser = tools::repo().join("tests/browser");
    assert!(
        browser
            .join("node_modules/mermaid/dist/mermaid.min.js")
            .exists()
            && browser.join("node_modules/playwright-core").exists(),
        "tests/browser/node_modules is missing: run scripts/install-test-deps.sh (or `npm ci` in tests/browser)"
    );
    browser.join("render-mermaid.mjs")
}

fn render_mermaid(rendered: &Path, shots: &Path) -> Output {
    Command::new(tools::system_bin("node"))
        .arg(script())
        .arg(rendered)
        .arg(shots)
        .env("GEN_CHROMIUM", tools::system_bin("chromium"))
        .output()
        .expect("node runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn every_readme_diagram_renders_in_chromium() {
    let rendered = tools::render_example();
    let shots = tempfile::Builder::new()
        .prefix("mermaid-screenshots-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep();
    let output = render_mermaid(rendered.path(), &shots);
    assert!(output.status.success(), "{}", text(&output));
    let files = gen_lib::app::render_folder(&tools::repo().join("inputs")).unwrap();
    let targets: Vec<&String> = files.keys().filter(|p| p.ends_with("/README.md")).collect();
    assert!(targets.len() >= 2, "{targets:?}");
    for readme in targets {
        let name = readme.trim_end_matches("/README.md").replace('/', "__");
        let shot = shots.join(format!("{name}.png"));
        let size = std::fs::metadata(&shot)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", shot.display(), text(&output)))
            .len();
        assert!(size > 10_000, "{} is only {size} bytes", shot.display());
    }
    println!("screenshots: {}", shots.display());
}

#[test]
fn a_broken_diagram_fails_the_check() {
    let work = tempfile::tempdir().unwrap();
    let good = "```mermaid\nflowchart LR\n  a[\"A\"] --> b[\"B\"]\n```\n";
    let broken = "```mermaid\nflowchart LR\n  a[\"A\"] --> b[\"unclosed\n```\n";
    for (dir, body) in [("env/good", good), ("env/broken", broken)] {
        std::fs::create_dir_all(work.path().join(dir)).unwrap();
        std::fs::write(work.path().join(dir).join("README.md"), body).unwrap();
    }
    let shots = work.path().join("shots");
    let output = render_mermaid(work.path(), &shots);
    let message = text(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("env/broken/README.md"), "{message}");
    assert!(message.contains("does not render"), "{message}");
    assert!(shots.join("env__good.png").exists(), "{message}");
    assert!(!shots.join("env__broken.png").exists(), "{message}");
}

#[test]
fn hostile_labels_stay_labels() {
    use gen_lib::render::filters::{md_code_str, mermaid};
    let hostile = "a\"] --> x[\"b <img src=x> #quot; %% `md` ; end\n```\nflowchart";
    let label = mermaid(&minijinja::Value::from(hostile)).unwrap();
    let body = format!(
        "Inline {}\n\n```mermaid\nflowchart LR\n  a[{}] --> b[\"B\"]\n```\n",
        md_code_str(hostile),
        label.as_str().unwrap()
    );
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("env/svc")).unwrap();
    std::fs::write(work.path().join("env/svc/README.md"), body).unwrap();
    let shots = work.path().join("shots");
    let output = render_mermaid(work.path(), &shots);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("1 diagram(s)"), "{}", text(&output));
}

#[test]
fn a_readme_without_a_diagram_fails_the_check() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("env/svc")).unwrap();
    std::fs::write(work.path().join("env/svc/README.md"), "# no diagram\n").unwrap();
    let output = render_mermaid(work.path(), &work.path().join("shots"));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}
