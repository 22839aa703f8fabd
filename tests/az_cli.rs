//! Every `az` command of the install plans, checked against the Azure CLI reference (issue
//! 19) without an account: the example is rendered, every shell block of every README is
//! split by a real shell lexer (Python's `shlex`), and each `az` invocation, also one after
//! `|`, `&&`, `;`, inside `$(…)` or after `xargs`, must name a command of [`REFERENCE`],
//! pass only options that command accepts, and pass the options the reference marks as
//! required.
//!
//! [`REFERENCE`] follows the Azure CLI reference pages (learn.microsoft.com/cli/azure, the
//! URL beside each command). It lists the commands the plans use, with the options they
//! use or plausibly will; a plan that starts using a new command or option fails here until
//! the option is added from its page. The table itself is checked against the Azure CLI's own
//! parser (`az <command> --help` of azure-cli 2.91.0: every option exists, the required ones
//! match) by `scripts/check-az-reference`, which installs azure-cli into a venv of its own;
//! the test command does not run it (a few hundred packages for a table of a few dozen
//! options), so run it after editing the table.

use crate::readme_day_two::{readmes, shell_blocks};
use crate::support::tools;

/// One `az` command: its words, its reference page, the options it accepts (each entry
/// the long name and its aliases, `|`-separated) and the ones it requires.
struct Command {
    name: &'static str,
    url: &'static str,
    options: &'static [&'static str],
    required: &'static [&'static str],
}

/// The global arguments every command accepts (reference: "Global Parameters").
const GLOBAL: &[&str] = &[
    "--debug",
    "--help|-h",
    "--only-show-errors",
    "--output|-o",
    "--query",
    "--subscription",
    "--verbose",
];

const REFERENCE: &[Command] = &[
    Command {
        name: "account show",
        url: "https://learn.microsoft.com/en-us/cli/azure/account#az-account-show",
        options: &["--name|-n|-s"],
        required: &[],
    },
    Command {
        name: "account get-access-token",
        url: "https://learn.microsoft.com/en-us/cli/azure/account#az-account-get-access-token",
        options: &[
            "--name|-n|-s",
            "--resource",
            "--resource-type",
            "--scope",
            "--tenant|-t",
        ],
        required: &[],
    },
    Command {
        name: "aks get-credentials",
        url: "https://learn.microsoft.com/en-us/cli/azure/aks#az-aks-get-credentials",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--admin|-a",
            "--context",
            "--file|-f",
            "--format",
            "--overwrite-existing",
            "--public-fqdn",
        ],
        required: &["--name", "--resource-group"],
    },
    Command {
        name: "aks update",
        url: "https://learn.microsoft.com/en-us/cli/azure/aks#az-aks-update",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--enable-azure-monitor-metrics",
            "--disable-azure-monitor-metrics",
            "--azure-monitor-workspace-resource-id",
            "--grafana-resource-id",
            "--enable-oidc-issuer",
            "--enable-workload-identity",
            "--no-wait",
            "--yes|-y",
        ],
        required: &["--name", "--resource-group"],
    },
    Command {
        name: "aks show",
        url: "https://learn.microsoft.com/en-us/cli/azure/aks#az-aks-show",
        options: &["--name|-n", "--resource-group|-g"],
        required: &["--name", "--resource-group"],
    },
    Command {
        name: "identity list",
        url: "https://learn.microsoft.com/en-us/cli/azure/identity#az-identity-list",
        options: &["--resource-group|-g"],
        required: &[],
    },
    Command {
        name: "identity federated-credential create",
        url: "https://learn.microsoft.com/en-us/cli/azure/identity/federated-credential#az-identity-federated-credential-create",
        options: &[
            "--identity-name",
            "--name|-n",
            "--resource-group|-g",
            "--issuer",
            "--subject",
            "--audiences",
        ],
        required: &["--identity-name", "--name", "--resource-group"],
    },
    Command {
        name: "storage account show",
        url: "https://learn.microsoft.com/en-us/cli/azure/storage/account#az-storage-account-show",
        options: &["--name|-n", "--resource-group|-g", "--ids", "--expand"],
        required: &["--name"],
    },
    Command {
        name: "role assignment create",
        url: "https://learn.microsoft.com/en-us/cli/azure/role/assignment#az-role-assignment-create",
        options: &[
            "--role",
            "--scope",
            "--assignee",
            "--assignee-object-id",
            "--assignee-principal-type",
            "--name|-n",
        ],
        required: &["--role", "--scope"],
    },
    Command {
        name: "deployment group create",
        url: "https://learn.microsoft.com/en-us/cli/azure/deployment/group#az-deployment-group-create",
        options: &[
            "--resource-group|-g",
            "--name|-n",
            "--template-file|-f",
            "--parameters|-p",
            "--template-uri|-u",
            "--template-spec|-s",
            "--mode",
            "--no-wait",
            "--no-prompt",
            "--what-if",
            "--confirm-with-what-if|-c",
            "--what-if-result-format|-r",
            "--what-if-exclude-change-types|-x",
            "--proceed-if-no-change",
            "--rollback-on-error",
            "--aux-tenants",
            "--query-string|-q",
            "--validation-level",
        ],
        required: &["--resource-group"],
    },
    Command {
        name: "deployment group what-if",
        url: "https://learn.microsoft.com/en-us/cli/azure/deployment/group#az-deployment-group-what-if",
        options: &[
            "--resource-group|-g",
            "--name|-n",
            "--template-file|-f",
            "--parameters|-p",
            "--template-uri|-u",
            "--template-spec|-s",
            "--mode",
            "--no-prompt",
            "--exclude-change-types|-x",
            "--no-pretty-print",
            "--result-format|-r",
            "--aux-tenants",
            "--query-string|-q",
            "--validation-level",
        ],
        required: &["--resource-group"],
    },
    Command {
        name: "keyvault secret set",
        url: "https://learn.microsoft.com/en-us/cli/azure/keyvault/secret#az-keyvault-secret-set",
        options: &[
            "--name|-n",
            "--vault-name",
            "--value",
            "--file|-f",
            "--encoding|-e",
            "--content-type",
            "--description",
            "--disabled",
            "--expires",
            "--not-before",
            "--tags",
        ],
        required: &["--name", "--vault-name"],
    },
    Command {
        name: "keyvault secret show",
        url: "https://learn.microsoft.com/en-us/cli/azure/keyvault/secret#az-keyvault-secret-show",
        options: &["--name|-n", "--vault-name", "--version|-v", "--id"],
        required: &[],
    },
    Command {
        name: "keyvault update",
        url: "https://learn.microsoft.com/en-us/cli/azure/keyvault#az-keyvault-update",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--enabled-for-template-deployment",
            "--enabled-for-deployment",
            "--enabled-for-disk-encryption",
            "--enable-rbac-authorization",
            "--enable-purge-protection",
            "--retention-days",
            "--public-network-access",
            "--default-action",
            "--bypass",
            "--set",
            "--add",
            "--remove",
            "--force-string",
            "--no-wait",
        ],
        required: &["--name"],
    },
    Command {
        name: "monitor action-group list",
        url: "https://learn.microsoft.com/en-us/cli/azure/monitor/action-group#az-monitor-action-group-list",
        options: &["--resource-group|-g"],
        required: &[],
    },
    Command {
        name: "monitor activity-log alert list",
        url: "https://learn.microsoft.com/en-us/cli/azure/monitor/activity-log/alert#az-monitor-activity-log-alert-list",
        options: &["--resource-group|-g"],
        required: &[],
    },
    Command {
        name: "monitor activity-log alert delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/monitor/activity-log/alert#az-monitor-activity-log-alert-delete",
        options: &["--name|-n|--activity-log-alert-name", "--resource-group|-g"],
        required: &["--name", "--resource-group"],
    },
    Command {
        name: "monitor metrics alert list",
        url: "https://learn.microsoft.com/en-us/cli/azure/monitor/metrics/alert#az-monitor-metrics-alert-list",
        options: &["--resource-group|-g"],
        required: &[],
    },
    Command {
        name: "monitor metrics alert delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/monitor/metrics/alert#az-monitor-metrics-alert-delete",
        options: &["--name|-n", "--resource-group|-g", "--ids"],
        required: &[],
    },
    Command {
        name: "monitor diagnostic-settings delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/monitor/diagnostic-settings#az-monitor-diagnostic-settings-delete",
        options: &[
            "--name|-n",
            "--resource",
            "--resource-group|-g",
            "--resource-namespace",
            "--resource-parent",
            "--resource-type",
        ],
        required: &["--name", "--resource"],
    },
    Command {
        name: "network private-dns link vnet delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/network/private-dns/link/vnet#az-network-private-dns-link-vnet-delete",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--zone-name|-z",
            "--ids",
            "--if-match",
            "--no-wait",
            "--yes|-y",
        ],
        required: &["--name", "--resource-group", "--zone-name"],
    },
    Command {
        name: "network private-endpoint delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/network/private-endpoint#az-network-private-endpoint-delete",
        options: &["--name|-n", "--resource-group|-g", "--ids", "--no-wait"],
        required: &["--name", "--resource-group"],
    },
    Command {
        name: "network vnet subnet show",
        url: "https://learn.microsoft.com/en-us/cli/azure/network/vnet/subnet#az-network-vnet-subnet-show",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--vnet-name",
            "--expand",
            "--ids",
        ],
        required: &[],
    },
    Command {
        name: "postgres flexible-server delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-delete",
        options: &["--name|-n", "--resource-group|-g", "--yes|-y", "--ids"],
        required: &[],
    },
    Command {
        name: "lock delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/lock#az-lock-delete",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--resource|--resource-name",
            "--resource-type",
            "--namespace",
            "--parent",
            "--ids",
        ],
        required: &[],
    },
    Command {
        name: "postgres flexible-server list",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-list",
        options: &["--resource-group|-g", "--show-cluster"],
        required: &[],
    },
    Command {
        name: "postgres flexible-server update",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-update",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--sku-name",
            "--tier",
            "--storage-size",
            "--storage-auto-grow",
            "--performance-tier",
            "--zonal-resiliency",
            "--standby-zone",
            "--ids",
            "--yes|-y",
        ],
        required: &[],
    },
    Command {
        name: "postgres flexible-server show",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-show",
        options: &["--name|-n", "--resource-group|-g", "--ids"],
        required: &[],
    },
    Command {
        name: "postgres flexible-server restart",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-restart",
        options: &["--name|-n", "--resource-group|-g", "--failover", "--ids"],
        required: &[],
    },
    Command {
        name: "postgres flexible-server restore",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-restore",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--source-server",
            "--restore-time",
            "--zone|-z",
            "--vnet",
            "--subnet",
            "--private-dns-zone",
            "--storage-type",
            "--sku-name",
            "--tier",
            "--geo-redundant-backup",
            "--no-wait",
            "--yes|-y",
        ],
        required: &["--name", "--resource-group", "--source-server"],
    },
    Command {
        name: "postgres flexible-server geo-restore",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-geo-restore",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--source-server",
            "--location|-l",
            "--zone|-z",
            "--vnet",
            "--subnet",
            "--private-dns-zone",
            "--geo-redundant-backup",
            "--no-wait",
            "--yes|-y",
        ],
        required: &[
            "--name",
            "--resource-group",
            "--source-server",
            "--location",
        ],
    },
    Command {
        name: "postgres flexible-server parameter list",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/parameter#az-postgres-flexible-server-parameter-list",
        options: &["--server-name|-s", "--resource-group|-g"],
        required: &["--server-name", "--resource-group"],
    },
    Command {
        name: "postgres flexible-server parameter show",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/parameter#az-postgres-flexible-server-parameter-show",
        options: &[
            "--name|-n",
            "--server-name|-s",
            "--resource-group|-g",
            "--ids",
        ],
        required: &[],
    },
    Command {
        name: "postgres flexible-server parameter set",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/parameter#az-postgres-flexible-server-parameter-set",
        options: &[
            "--name|-n",
            "--server-name|-s",
            "--resource-group|-g",
            "--value|-v",
            "--source",
            "--ids",
        ],
        required: &[],
    },
    Command {
        name: "postgres flexible-server replica list",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/replica#az-postgres-flexible-server-replica-list",
        options: &["--name|-n", "--resource-group|-g", "--ids"],
        required: &[],
    },
    Command {
        name: "postgres flexible-server replica promote",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/replica#az-postgres-flexible-server-replica-promote",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--promote-mode",
            "--promote-option",
            "--yes|-y",
            "--ids",
        ],
        required: &[],
    },
    Command {
        name: "postgres flexible-server replica create",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/replica#az-postgres-flexible-server-replica-create",
        options: &[
            "--name|-n",
            "--source-server",
            "--resource-group|-g",
            "--location|-l",
            "--zone|-z",
            "--vnet",
            "--subnet",
            "--private-dns-zone",
            "--sku-name",
            "--tier",
            "--storage-size",
            "--performance-tier",
            "--tags",
            "--no-wait",
            "--yes|-y",
        ],
        required: &["--name", "--source-server", "--resource-group"],
    },
    Command {
        name: "postgres flexible-server upgrade",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server#az-postgres-flexible-server-upgrade",
        options: &[
            "--name|-n",
            "--resource-group|-g",
            "--version|-v",
            "--ids",
            "--validate-only",
            "--yes|-y",
        ],
        required: &["--name", "--resource-group", "--version"],
    },
    Command {
        name: "postgres flexible-server microsoft-entra-admin delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/postgres/flexible-server/microsoft-entra-admin#az-postgres-flexible-server-microsoft-entra-admin-delete",
        options: &[
            "--resource-group|-g",
            "--server-name|-s",
            "--object-id|-i",
            "--ids",
            "--no-wait",
            "--yes|-y",
        ],
        required: &["--resource-group", "--server-name", "--object-id"],
    },
    Command {
        name: "role assignment delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/role/assignment#az-role-assignment-delete",
        options: &[
            "--assignee",
            "--assignee-object-id",
            "--ids",
            "--include-inherited",
            "--resource-group|-g",
            "--role",
            "--scope",
            "--yes|-y",
        ],
        required: &[],
    },
    Command {
        name: "deployment group show",
        url: "https://learn.microsoft.com/en-us/cli/azure/deployment/group#az-deployment-group-show",
        options: &["--name|-n", "--resource-group|-g"],
        required: &["--name", "--resource-group"],
    },
    Command {
        name: "resource delete",
        url: "https://learn.microsoft.com/en-us/cli/azure/resource#az-resource-delete",
        options: &[
            "--ids",
            "--name|-n",
            "--namespace",
            "--parent",
            "--resource-group|-g",
            "--resource-type",
            "--api-version",
        ],
        required: &[],
    },
    Command {
        name: "resource list",
        url: "https://learn.microsoft.com/en-us/cli/azure/resource#az-resource-list",
        options: &[
            "--location|-l",
            "--name|-n",
            "--namespace",
            "--resource-group|-g",
            "--resource-type",
            "--tag",
        ],
        required: &[],
    },
];

/// Every `az` invocation of a Markdown text's shell blocks, as its words after `az`.
/// Python's `shlex` splits each command line (backslash continuations joined, heredoc
/// bodies skipped, a line with an open quote joined to the next); commands are cut at
/// `|`, `&&`, `||`, `;`, `&`, parentheses and redirections; the text of each `$(…)` is
/// split again; leading assignments, `export`, `xargs` and its options are dropped.
fn az_invocations(markdown: &str) -> Vec<Vec<String>> {
    invocations(markdown, "az")
}

/// Every invocation of `program` in a Markdown text's shell blocks, as its words after the
/// program's name, split as [`az_invocations`] says.
pub(crate) fn invocations(markdown: &str, program: &str) -> Vec<Vec<String>> {
    let mut script = String::new();
    for (_, body) in shell_blocks(markdown) {
        script.push_str(&body);
        script.push('\0');
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blocks");
    std::fs::write(&file, script).unwrap();
    let out = tools::python(LEXER, &[&file, std::path::Path::new(program)]);
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\x1f').map(str::to_owned).collect())
        .collect()
}

const LEXER: &str = r#"
import re, shlex, sys
SEPARATORS = set("|&;()<>")
def inner(text):
    # the bodies of the $( ... ) of a word, parentheses balanced
    found, i = [], 0
    while (j := text.find("$(", i)) >= 0:
        depth, k = 0, j + 1
        while k < len(text):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                break
            k += 1
        found.append(text[j + 2:k])
        i = j + 2
    return found
def commands(line):
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    current = []
    for word in words + [";"]:
        for body in inner(word):
            yield from commands(body)
        if word and set(word) <= SEPARATORS:
            if current:
                yield current
            current = []
        else:
            current.append(word)
def az(words):
    while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in ("export", "sudo", "exec", "time", "then", "do", "!")):
        words = words[1:]
    if words and words[0] == "xargs":
        words = words[1:]
        while words and words[0].startswith("-"):
            option = words.pop(0)
            if option in ("-n", "-I", "-P", "-L", "-d", "-s", "-E"):
                words = words[1:]
    if words and words[0] == sys.argv[2]:
        print("\x1f".join(words[1:]))
for block in open(sys.argv[1]).read().split("\0"):
    lines = block.replace("\\\n", " ").split("\n")
    heredoc = None
    pending = ""
    for line in lines:
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        line = pending + line
        try:
            found = list(commands(line))
        except ValueError:
            pending = line + "\n"
            continue
        pending = ""
        for words in found:
            az(words)
        marker = re.search(r"<<-?\s*['\"]?([A-Za-z_]+)", line)
        if marker:
            heredoc = marker.group(1)
    assert not pending, "an unclosed quote: " + pending
"#;

/// What is wrong with one invocation (its words after `az`), per [`REFERENCE`].
fn invocation_problems(words: &[String]) -> Vec<String> {
    let line = format!("az {}", words.join(" "));
    let names: Vec<&str> = words
        .iter()
        .take_while(|w| !w.starts_with('-'))
        .map(String::as_str)
        .collect();
    // The longest table entry the leading words name (a trailing positional word is not one).
    let command = (1..=names.len())
        .rev()
        .find_map(|n| REFERENCE.iter().find(|c| c.name == names[..n].join(" ")));
    let Some(command) = command else {
        return vec![format!(
            "`{line}`: `az {}` is not in the reference table",
            names.join(" ")
        )];
    };
    let accepts = |option: &str| -> Option<&'static str> {
        command
            .options
            .iter()
            .chain(GLOBAL)
            .find(|entry| entry.split('|').any(|alias| alias == option))
            .map(|entry| entry.split('|').next().unwrap())
    };
    let mut problems = Vec::new();
    let mut given = Vec::new();
    for word in words.iter().filter(|w| w.starts_with('-') && w.len() > 1) {
        let option = word.split('=').next().unwrap();
        match accepts(option) {
            Some(long) => given.push(long),
            None => problems.push(format!(
                "`{line}`: `az {}` has no option `{option}` ({})",
                command.name, command.url
            )),
        }
    }
    for required in command.required {
        if !given.contains(required) {
            problems.push(format!(
                "`{line}`: `az {}` requires `{required}` ({})",
                command.name, command.url
            ));
        }
    }
    problems
}

/// Every problem of every `az` invocation of a README.
fn az_problems(markdown: &str) -> Vec<String> {
    az_invocations(markdown)
        .iter()
        .flat_map(|words| invocation_problems(words))
        .collect()
}

#[test]
fn every_az_command_of_every_readme_is_in_the_cli_reference() {
    // The example, and the variant that turns on every optional Azure field (its plan adds
    // commands such as the locks' removal).
    let outs = [
        tools::render_example(),
        crate::bicep::every_new_field_variant(),
    ];
    let mut problems = Vec::new();
    let mut count = 0;
    for (path, text) in outs.iter().flat_map(|out| readmes(out.path())) {
        count += az_invocations(&text).len();
        problems.extend(
            az_problems(&text)
                .into_iter()
                .map(|p| format!("{path}: {p}")),
        );
    }
    assert!(count >= 20, "only {count} az invocations found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_lexer_finds_az_after_pipes_substitutions_and_xargs() {
    let readme = "```bash\nX=\"$(az account show --query id -o tsv)\" && echo \"$X\" |\n  xargs -r -n1 az monitor metrics alert delete -g rg -n\naz resource list \\\n  -g rg; az aks get-credentials -g rg -n aks\n```\n";
    let found: Vec<String> = az_invocations(readme).iter().map(|w| w.join(" ")).collect();
    assert_eq!(
        found,
        [
            "account show --query id -o tsv",
            "monitor metrics alert delete -g rg -n",
            "resource list -g rg",
            "aks get-credentials -g rg -n aks",
        ]
    );
}

#[test]
fn a_made_up_flag_a_missing_required_option_and_an_unknown_command_are_refused() {
    let bogus =
        az_problems("```bash\naz postgres flexible-server restart -g rg -n pg --bogus\n```\n");
    assert_eq!(bogus.len(), 1, "{bogus:?}");
    assert!(bogus[0].contains("no option `--bogus`"), "{bogus:?}");
    let missing = az_problems("```bash\naz deployment group create -n x -f main.bicep\n```\n");
    assert!(
        missing
            .iter()
            .any(|p| p.contains("requires `--resource-group`")),
        "{missing:?}"
    );
    let unknown = az_problems("```bash\naz postgres flexible-server frobnicate -g rg\n```\n");
    assert!(
        unknown
            .iter()
            .any(|p| p.contains("not in the reference table")),
        "{unknown:?}"
    );
    let fine = az_problems(
        "```bash\naz postgres flexible-server restart -g rg -n pg --failover Planned\n```\n",
    );
    assert!(fine.is_empty(), "{fine:?}");
}

/// The commands in an action text of the plan: the backquoted spans that start with `az `,
/// each as a one-line shell block, placeholders (`{rg}`, `<its resource ID>`) as one word.
fn action_commands(template: &str) -> String {
    let mut text = String::new();
    for (i, span) in template.split('`').enumerate() {
        if i % 2 == 1 && span.starts_with("az ") {
            let mut line = String::new();
            let mut placeholder = false;
            for c in span.chars() {
                match c {
                    '{' | '<' => placeholder = true,
                    '}' | '>' if placeholder => {
                        placeholder = false;
                        line.push_str("PLACEHOLDER");
                    }
                    _ if placeholder => {}
                    c => line.push(c),
                }
            }
            text.push_str(&format!("```bash\n{line}\n```\n"));
        }
    }
    text
}

#[test]
fn every_az_command_of_the_plans_actions_is_in_the_cli_reference() {
    let mut problems = Vec::new();
    let mut count = 0;
    for template in gen_lib::plan::azure::action_templates() {
        let outside: String = template.split('`').step_by(2).collect();
        if outside.contains("az ") {
            problems.push(format!("an az command outside backquotes: {template}"));
        }
        let commands = action_commands(template);
        count += az_invocations(&commands).len();
        problems.extend(az_problems(&commands));
    }
    assert!(count >= 10, "only {count} az commands found in the actions");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_action_with_a_made_up_flag_is_refused() {
    let commands = action_commands(
        "delete it (`az postgres flexible-server delete --resource-group {rg} --name {name} --purge`)",
    );
    let problems = az_problems(&commands);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("no option `--purge`"), "{problems:?}");
}
