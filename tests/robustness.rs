//! gen never leaves a half-written output folder, and never lets a secret through.

use crate::support::harness;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use harness::{copy_dir, run_gen, snapshot_tree};

fn example() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A small deterministic generator, seeded from the clock (the seed is printed so a
/// failing run can be replayed with GEN_INTERRUPT_SEED).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn an_interrupted_render_leaves_the_old_tree_or_the_new_one_never_a_mix() {
    let work = tempfile::tempdir().unwrap();
    let a = work.path().join("a");
    let b = work.path().join("b");
    copy_dir(&example().join("inputs"), &a);
    copy_dir(&example().join("inputs"), &b);
    // B differs from A in many files: every file's header and the roles.
    let service = b.join("services/auth.yaml");
    let text = std::fs::read_to_string(&service)
        .unwrap()
        .replace("connectionLimit: 50", "connectionLimit: 40");
    std::fs::write(&service, text).unwrap();
    std::fs::write(b.join("sql/extra.psql"), "SELECT 1;\n").unwrap();
    let bill = b.join("services/bill-inquiry.yaml");
    let text = std::fs::read_to_string(&bill).unwrap().replace(
        "schemaFile: ../sql/bill-inquiry.psql",
        "schemaFile: ../sql/extra.psql",
    );
    std::fs::write(&bill, text).unwrap();

    let expected = |inputs: &Path| {
        let out = work.path().join(format!(
            "expected-{}",
            inputs.file_name().unwrap().to_string_lossy()
        ));
        let run = run_gen(&[
            "render",
            "--inputs",
            inputs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        snapshot_tree(&out)
    };
    let (tree_a, tree_b) = (expected(&a), expected(&b));
    assert_ne!(tree_a, tree_b);

    let out = work.path().join("out");
    assert_eq!(
        run_gen(&[
            "render",
            "--inputs",
            a.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ])
        .code,
        0
    );
    let seed = std::env::var("GEN_INTERRUPT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("GEN_INTERRUPT_SEED={seed}");
    let mut random = Lcg(seed);
    let (mut interrupted, mut completed) = (0, 0);
    for round in 0..60 {
        let inputs = if round % 2 == 0 { &b } else { &a };
        let mut child = Command::new(env!("CARGO_BIN_EXE_gen"))
            .args([
                "render",
                "--inputs",
                inputs.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(random.next() % 15_000));
        let signal = if random.next().is_multiple_of(2) {
            libc::SIGKILL
        } else {
            libc::SIGINT
        };
        // SAFETY: the child has not been waited for, so its pid is still ours.
        #[allow(unsafe_code, reason = "kill(2) has no safe wrapper in std")]
        unsafe {
            libc::kill(child.id() as i32, signal)
        };
        let status = child.wait().unwrap();
        if status.success() {
            completed += 1
        } else {
            interrupted += 1
        }
        let now = snapshot_tree(&out);
        assert!(
            now == tree_a || now == tree_b,
            "round {round} (seed {seed}): the output folder is neither the old nor the new tree"
        );
    }
    println!("{interrupted} runs interrupted, {completed} completed");
    assert!(
        interrupted >= 10,
        "the loop must really interrupt runs ({interrupted} did)"
    );
    // A clean run afterwards removes what killed runs left beside the output folder.
    assert_eq!(
        run_gen(&[
            "render",
            "--inputs",
            a.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ])
        .code,
        0
    );
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("gen-staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(snapshot_tree(&out), tree_a);
}

#[test]
fn no_secret_from_the_environment_reaches_the_output() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    // Every secret the example names, as the variable the SQL reads, and a few generic ones.
    let secrets = [
        "phonebill-auth-user-password",
        "phonebill-monitor-password",
        "bill-inquiry-app-password",
        "phonebill-auth-admin-password",
        "postgresql-bill-inquiry-credentials",
        "teams-webhook-url",
        "postgres-password",
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_gen"));
    command
        .args(["render", "--out", out.to_str().unwrap()])
        .current_dir(example());
    let mut markers = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let var = gen_lib::model::secret_env_var(secret);
        let marker = format!("SECRETMARKER{i}x{}", std::process::id());
        command.env(&var, &marker);
        markers.push(marker);
    }
    for (i, var) in [
        "PGPASSWORD",
        "POSTGRES_PASSWORD",
        "AZURE_CLIENT_SECRET",
        "GITHUB_TOKEN",
    ]
    .iter()
    .enumerate()
    {
        let marker = format!("SECRETMARKERG{i}x{}", std::process::id());
        command.env(var, &marker);
        markers.push(marker);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = snapshot_tree(&out);
    assert!(tree.len() > 10);
    for marker in &markers {
        assert!(!logs.contains(marker.as_str()), "a secret reached the log");
        for (path, bytes) in &tree {
            let hit = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
            assert!(!hit, "a secret reached {}", path.display());
        }
    }
}
