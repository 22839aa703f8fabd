//! The AKS target's rendered manifests, read back: as kubectl's YAML 1.1 reader would
//! (PyYAML) or as the API server would (gen's own reader), and the named items of a pod spec.

use std::path::Path;

use gen_lib::yaml::Node;
use serde_json::Value;

use crate::support::tools;

/// Each YAML document of `file` as JSON, read by PyYAML (as kubectl's YAML 1.1 reader would).
pub fn documents(file: &Path) -> Vec<Value> {
    let json = tools::python(
        "import json, sys, yaml\nprint(json.dumps(list(yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')))))",
        &[file],
    );
    serde_json::from_str(&json).unwrap()
}

/// The rendered object of `kind` whose file name contains `name_part`, in the example's dev
/// target.
pub fn example_object(kind: &str, name_part: &str) -> Value {
    let out = tools::render_example();
    let dir = out.path().join("dev/bill-inquiry/kubernetes");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(name_part))
        .map(|p| {
            Node::parse(&std::fs::read_to_string(&p).unwrap())
                .unwrap()
                .to_json()
        })
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} *{name_part}* in {}", dir.display()))
}

/// The item of a list of named objects (containers, volumes, mounts, env) named `name`.
pub fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list:#}"))
}

/// The container's env as (name, value) pairs.
pub fn env_of(container: &Value) -> Vec<(String, String)> {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
