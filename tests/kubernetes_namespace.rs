//! The namespace is gen's only when the design says so (`aks.manageNamespace`, issue 18):
//! by default no Namespace is rendered and the install plan checks that it exists; when gen
//! owns it, it enforces Pod Security `restricted`, never a lower level, and every pod gen
//! renders complies with `restricted`.

use crate::support::{harness, manifests, tools};

use std::process::Command;

const KUBERNETES: &str = "dev/bill-inquiry/kubernetes";
const README: &str = "dev/bill-inquiry/README.md";

#[test]
fn a_namespace_gen_does_not_own_is_not_rendered_and_the_plan_checks_it_first() {
    let out = tools::render_example();
    assert!(
        !out.path()
            .join(KUBERNETES)
            .join("00-namespace.yaml")
            .exists(),
        "the example's dev namespace is shared: gen must not render it"
    );
    for file in std::fs::read_dir(out.path().join(KUBERNETES)).unwrap() {
        let file = file.unwrap().path();
        for doc in manifests::documents(&file) {
            assert_ne!(doc["kind"], "Namespace", "{}", file.display());
        }
    }
    let readme = std::fs::read_to_string(out.path().join(README)).unwrap();
    assert!(!readme.contains("create namespace"), "{readme}");
    let check = "kubectl get namespace phonebill-dev --show-labels";
    let first = readme.find(check).expect("the plan checks the namespace");
    let secrets = readme.find("kubectl create secret").unwrap();
    assert!(
        first < secrets,
        "the namespace is checked before anything goes into it"
    );
}

#[test]
fn a_namespace_gen_owns_enforces_restricted_and_the_pods_comply() {
    let work = tempfile::tempdir().unwrap();
    let inputs = harness::edited_example(
        work.path(),
        &[(
            "environments/dev.yaml",
            "  namespace: phonebill-dev",
            "  manageNamespace: true\n  namespace: phonebill-dev",
        )],
    );
    let out = tools::render_inputs(&inputs);
    let dir = out.path().join(KUBERNETES);
    let namespace = &manifests::documents(&dir.join("00-namespace.yaml"))[0];
    assert_eq!(namespace["kind"], "Namespace");
    let labels = namespace["metadata"]["labels"].as_object().unwrap();
    for mode in ["enforce", "audit", "warn"] {
        assert_eq!(
            labels[&format!("pod-security.kubernetes.io/{mode}")],
            "restricted",
            "{mode}"
        );
    }
    for (key, value) in labels {
        if key.starts_with("pod-security.kubernetes.io/") && !key.ends_with("-version") {
            assert_eq!(
                value, "restricted",
                "{key}: gen never renders a lower level"
            );
        }
    }
    let readme = std::fs::read_to_string(out.path().join(README)).unwrap();
    let apply = readme
        .find("kubectl apply -f kubernetes/00-namespace.yaml")
        .expect("the plan applies the namespace first");
    assert!(apply < readme.find("kubectl create secret").unwrap());

    // Every pod template complies with Pod Security "restricted" (v1.32, the version the Namespace pins).
    let mut pods = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let file = file.unwrap().path();
        for doc in manifests::documents(&file) {
            let spec = &doc["spec"]["template"]["spec"];
            if spec.is_null() {
                continue;
            }
            pods += 1;
            restricted(spec, &file.display().to_string());
        }
    }
    assert_eq!(pods, 2, "the StatefulSet and the Job");

    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for version in crate::kubernetes::KUBERNETES_VERSIONS {
        let output = Command::new(tools::venv_bin("kubernetes-validate"))
            .args(["--strict", "-k", version])
            .args(&files)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kubernetes-validate: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The checks of the Pod Security Standards' `restricted` profile on a pod spec.
fn restricted(spec: &serde_json::Value, what: &str) {
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        assert_ne!(spec[host], true, "{what}: {host}");
    }
    let allowed_volumes = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for volume in spec["volumes"].as_array().into_iter().flatten() {
        for key in volume.as_object().unwrap().keys() {
            assert!(
                key == "name" || allowed_volumes.contains(&key.as_str()),
                "{what}: volume type {key}"
            );
        }
    }
    let pod = &spec["securityContext"];
    let containers = spec["containers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(spec["initContainers"].as_array().into_iter().flatten());
    for c in containers {
        let name = format!("{what}: container {}", c["name"]);
        let sc = &c["securityContext"];
        assert_ne!(sc["privileged"], true, "{name}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
        let drop = sc["capabilities"]["drop"].as_array();
        assert!(
            drop.is_some_and(|d| d.iter().any(|x| x == "ALL")),
            "{name}: drops ALL"
        );
        for add in sc["capabilities"]["add"].as_array().into_iter().flatten() {
            assert_eq!(add, "NET_BIND_SERVICE", "{name}");
        }
        let non_root = if sc["runAsNonRoot"].is_null() {
            &pod["runAsNonRoot"]
        } else {
            &sc["runAsNonRoot"]
        };
        assert_eq!(non_root, true, "{name}: runAsNonRoot");
        assert_ne!(sc["runAsUser"], 0, "{name}");
        assert_ne!(pod["runAsUser"], 0, "{what}");
        let seccomp = if sc["seccompProfile"].is_null() {
            &pod["seccompProfile"]["type"]
        } else {
            &sc["seccompProfile"]["type"]
        };
        assert!(
            seccomp == "RuntimeDefault" || seccomp == "Localhost",
            "{name}: seccomp {seccomp}"
        );
        for port in c["ports"].as_array().into_iter().flatten() {
            assert!(port["hostPort"].is_null(), "{name}: hostPort");
        }
    }
}

#[test]
fn the_secrets_reach_kubectl_through_pipes_in_a_bash_block() {
    let out = tools::render_example();
    let readme = std::fs::read_to_string(out.path().join(README)).unwrap();
    assert!(
        !readme.contains("--from-literal"),
        "a password on kubectl's command line is visible to every user (ps)"
    );
    let block = readme
        .split("```")
        .find(|b| b.contains("read -rsp"))
        .expect("the plan reads the passwords");
    assert!(block.starts_with("bash\n"), "read -s needs bash: {block}");
    assert!(
        block.contains("--from-file=postgres-password=<(printf %s \"$POSTGRES_PASSWORD\")"),
        "{block}"
    );
    // kubectl's env files read a value starting with `"` as a multi-line value.
    assert!(!block.contains("--from-env-file"), "{block}");
    // The block is bash that parses, and each password reaches its file name unchanged.
    let script = block.trim_start_matches("bash\n");
    let check = std::process::Command::new("bash")
        .args(["-n", "-c", script])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
