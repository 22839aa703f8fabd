//! Embeds every file under `templates/` into the binary as a table of (path, text), which
//! the template environment loads on demand: a run compiles only the templates its targets use.

use std::fmt::Write;
use std::path::Path;

fn collect(dir: &Path, prefix: &str, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("templates/ is readable") {
        let entry = entry.expect("templates/ is readable");
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().expect("file type").is_dir() {
            collect(&entry.path(), &rel, found);
        } else {
            found.push(rel);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=templates");
    let mut templates = Vec::new();
    collect(Path::new("templates"), "", &mut templates);
    templates.sort();
    let mut code = String::from(
        "/// Every file under `templates/`: its path there and its text.\npub static TEMPLATE_FILES: &[(&str, &str)] = &[\n",
    );
    for rel in templates {
        writeln!(code, "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/{rel}\"))),").unwrap();
    }
    code.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
