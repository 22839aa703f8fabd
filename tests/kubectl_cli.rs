//! Every `kubectl` command of every install plan is one that kubectl itself knows, with
//! options it lists: each invocation's command (`delete`, `rollout status`, `create job`...)
//! is looked up with `kubectl <command> --help`, and each option it uses must be in that
//! help or in `kubectl options` (the options every command takes). The kubectl on PATH is
//! used (scripts/install-test-deps.sh installs Debian's when there is none).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::az_cli::invocations;
use crate::support::tools::render_example;

/// Global options that take a value as the next word.
const GLOBAL_WITH_VALUE: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "-s",
    "--server",
];

/// The commands of CloudNativePG's kubectl plugin (`kubectl cnpg`) the plans use, with the
/// options each takes besides kubectl's global ones (the plugin adds kubectl's config flags,
/// `-n` among them): from its source at v1.30.0, internal/cmd/plugin/<command>/cmd.go and
/// docs/src/kubectl-plugin.md. The plugin is a binary from GitHub releases, which the test
/// machine's registries do not carry, so its own `--help` cannot be asked.
const CNPG_PLUGIN: &[(&str, &[&str])] = &[
    (
        "status",
        &["-v", "--verbose", "--timeout", "-o", "--output"],
    ),
    ("promote", &[]),
    ("restart", &[]),
    (
        "backup",
        &[
            "-m",
            "--method",
            "--plugin-name",
            "--plugin-parameters",
            "--online",
            "--immediate-checkpoint",
            "--wait-for-archive",
            "--backup-name",
            "--backup-target",
        ],
    ),
];

/// The problems of a `kubectl cnpg` invocation, checked against [`CNPG_PLUGIN`].
fn plugin_problems(
    line: &str,
    command: &[String],
    options: &[String],
    global: &BTreeSet<String>,
) -> Vec<String> {
    let Some(sub) = command.get(1) else {
        return vec![format!("`{line}`: `kubectl cnpg` without a command")];
    };
    let Some((_, known)) = CNPG_PLUGIN.iter().find(|(name, _)| name == sub) else {
        return vec![format!(
            "`{line}`: the cnpg plugin has no command `{sub}` in the table"
        )];
    };
    options
        .iter()
        .flat_map(|o| names(o))
        .filter(|o| !known.contains(&o.as_str()) && !global.contains(o))
        .map(|o| format!("`{line}`: `kubectl cnpg {sub}` has no option `{o}`"))
        .collect()
}

fn kubectl(args: &[&str]) -> Option<String> {
    let output = Command::new("kubectl").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The option names a help text lists (`-n, --namespace=''`, `--for=''`): long names, and
/// short ones with their dash.
fn options_of(help: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in help.lines().map(str::trim_start) {
        if !line.starts_with('-') {
            continue;
        }
        let head = line.split(['=', ':']).next().unwrap_or_default();
        for name in head.split(", ") {
            found.insert(name.trim().to_owned());
        }
    }
    found
}

/// The command words of an invocation (after the global options) and its option words.
fn split(words: &[String]) -> (Vec<String>, Vec<String>) {
    let mut command = Vec::new();
    let mut options = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        if word == "--" {
            break;
        }
        if word.starts_with('-') {
            options.push(word.clone());
            if GLOBAL_WITH_VALUE.contains(&word.as_str()) {
                i += 1;
            }
        } else if command.len() < 3
            && options
                .iter()
                .all(|o| GLOBAL_WITH_VALUE.contains(&o.as_str()) || o.starts_with("--namespace="))
        {
            command.push(word.clone());
        }
        i += 1;
    }
    (command, options)
}

/// The option names an option word uses: `--for=condition=Ready` is `--for`, `-it` is `-i`
/// and `-t`.
fn names(option: &str) -> Vec<String> {
    if let Some(long) = option.strip_prefix("--") {
        return vec![format!("--{}", long.split('=').next().unwrap_or_default())];
    }
    option
        .trim_start_matches('-')
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .map(|c| format!("-{c}"))
        .collect()
}

/// The help of the longest command the leading words name, and that command.
fn command_help(
    command: &[String],
    cache: &mut BTreeMap<String, Option<String>>,
) -> Option<(String, String)> {
    for n in (1..=command.len()).rev() {
        let name = command[..n].join(" ");
        let help = cache
            .entry(name.clone())
            .or_insert_with(|| {
                let mut args: Vec<&str> = command[..n].iter().map(String::as_str).collect();
                args.push("--help");
                kubectl(&args).filter(|h| {
                    h.lines()
                        .skip_while(|l| !l.starts_with("Usage:"))
                        .nth(1)
                        .is_some_and(|usage| usage.trim().starts_with(&format!("kubectl {name}")))
                })
            })
            .clone();
        if let Some(help) = help {
            return Some((name, help));
        }
    }
    None
}

fn problems(
    markdown: &str,
    global: &BTreeSet<String>,
    cache: &mut BTreeMap<String, Option<String>>,
) -> (usize, Vec<String>) {
    let mut found = Vec::new();
    let calls = invocations(markdown, "kubectl");
    for words in &calls {
        let line = format!("kubectl {}", words.join(" "));
        let (command, options) = split(words);
        if command.first().is_some_and(|c| c == "cnpg") {
            found.extend(plugin_problems(&line, &command, &options, global));
            continue;
        }
        let Some((name, help)) = command_help(&command, cache) else {
            found.push(format!(
                "`{line}`: kubectl has no command `{}`",
                command.join(" ")
            ));
            continue;
        };
        let known = options_of(&help);
        for option in &options {
            for option_name in names(option) {
                if !known.contains(&option_name) && !global.contains(&option_name) {
                    found.push(format!(
                        "`{line}`: `kubectl {name}` has no option `{option_name}`"
                    ));
                }
            }
        }
    }
    (calls.len(), found)
}

#[test]
fn every_kubectl_command_of_every_readme_is_one_kubectl_knows() {
    let global = options_of(&kubectl(&["options"]).expect("kubectl options"));
    assert!(
        global.contains("--namespace") && global.contains("-n"),
        "{global:?}"
    );
    let out = render_example();
    let mut cache = BTreeMap::new();
    let mut count = 0;
    let mut found = Vec::new();
    for readme in [
        "dev/bill-inquiry/README.md",
        "prod/auth/README.md",
        "staging/bill-inquiry/README.md",
    ] {
        let text = std::fs::read_to_string(out.path().join(readme)).unwrap();
        let (n, problems) = problems(&text, &global, &mut cache);
        count += n;
        found.extend(problems.into_iter().map(|p| format!("{readme}: {p}")));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert!(count >= 20, "only {count} kubectl invocations found");
}

#[test]
fn a_made_up_option_and_an_unknown_command_are_refused() {
    let global = options_of(&kubectl(&["options"]).expect("kubectl options"));
    let mut cache = BTreeMap::new();
    let (_, bad) = problems(
        "```bash\nkubectl -n ns wait --for=condition=Ready --bogus pod/x\nkubectl frobnicate pod x\nkubectl -n ns exec -it p -c c -- psql -X\nkubectl cnpg backup c --methd=plugin\nkubectl cnpg switch c\n```\n",
        &global,
        &mut cache,
    );
    assert_eq!(bad.len(), 4, "{bad:#?}");
    assert!(bad[2].contains("has no option `--methd`"), "{bad:#?}");
    assert!(bad[3].contains("no command `switch`"), "{bad:#?}");
    assert!(bad[0].contains("`--bogus`"), "{bad:#?}");
    assert!(bad[1].contains("no command `frobnicate"), "{bad:#?}");
}
