//! Stage 4: rendering. Pure: the model in, a map of output path → bytes out. Nothing
//! here touches the disk; `write` does that.

pub mod alerts;
mod bicep;
mod cnpg;
pub mod dashboard;
pub mod filters;
pub mod kubernetes;
pub mod promql;
mod readme;

pub use readme::drills::ROW_COUNTS_SQL;
mod sql;

use std::collections::BTreeMap;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use crate::model::{Deployment, Model, Target};

/// The server's spelling of a locale, as gen's Bicep deployment created databases with it
/// before the SQL target created them (a database of such a deployment still has it).
pub(crate) use bicep::collation;

/// Rendered files: path relative to the output folder (`/`-separated) → contents.
pub type Files = BTreeMap<String, Vec<u8>>;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The embedded text of template `name` (its path under `templates/`).
pub(crate) fn template_source(name: &str) -> Option<&'static str> {
    TEMPLATE_FILES
        .iter()
        .find(|(path, _)| *path == name)
        .map(|(_, text)| *text)
}

/// The template environment with every template of `templates/` embedded.
pub struct Templates {
    env: Environment<'static>,
}

/// `view` as a template context. Converting copies every value of the view, so a part whose
/// templates share a view converts it once.
pub fn context<V: Serialize>(view: &V) -> Value {
    Value::from(minijinja::value::Serde(view))
}

/// A failure inside a template: a bug in gen, never bad input.
#[derive(Debug)]
pub struct RenderError(pub String);

impl From<Error> for RenderError {
    fn from(e: Error) -> RenderError {
        let mut message = format!("{e}");
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        RenderError(format!("template error (a bug in gen): {message}"))
    }
}

/// Prints only values an escaping filter produced; a raw `{{ value }}` is an error.
fn escaped_only(
    out: &mut minijinja::Output,
    _: &mut minijinja::State,
    value: &Value,
) -> Result<(), Error> {
    if value.is_safe() {
        out.write_str(value.as_str().unwrap_or_default())
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write output"))
    } else {
        Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{value}` is printed without an escaping filter (sql_ident, sql_literal, sql_dollar, psql_arg, psql_connect_db, yaml, yaml_word, yaml_block, bicep, bicep_text, bicep_promql_str, promql_label, bicep_ident, bicep_number, md, md_code, sh, mermaid, mermaid_id, conf_name, conf_value, num, comment, env_name)"
            ),
        ))
    }
}

impl Templates {
    /// Loads the embedded templates into a strict environment.
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // A custom auto-escape mode makes captured blocks and macro results count as
        // already escaped (they are made of filtered values), while the formatter still
        // refuses every raw value.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Custom("gen".into()));
        env.set_formatter(escaped_only);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("default delimiters"),
        );
        env.add_filter("sql_ident", filters::sql_ident);
        env.add_filter("sql_literal", filters::sql_literal);
        env.add_filter("sql_raise", filters::sql_raise);
        env.add_filter("sql_dollar", filters::sql_dollar);
        env.add_filter("psql_arg", filters::psql_arg);
        env.add_filter("psql_connect_db", filters::psql_connect_db);
        env.add_filter("env_name", filters::env_name);
        env.add_filter("num", filters::num);
        env.add_filter("comment", filters::comment);
        env.add_filter("yaml", filters::yaml);
        env.add_filter("bicep", filters::bicep);
        env.add_filter("bicep_ident", filters::bicep_ident);
        env.add_filter("md", filters::md);
        env.add_filter("sh", filters::sh);
        env.add_filter("yaml_word", filters::yaml_word);
        env.add_filter("yaml_block", filters::yaml_block);
        env.add_filter("conf_name", filters::conf_name);
        env.add_filter("conf_value", filters::conf_value);
        env.add_filter("bicep_text", filters::bicep_text);
        env.add_filter("bicep_promql_str", filters::bicep_promql_str);
        env.add_filter("promql_label", filters::promql_label);
        env.add_filter("bicep_number", filters::bicep_number);
        env.add_filter("md_code", filters::md_code);
        env.add_filter("mermaid", filters::mermaid);
        env.add_filter("mermaid_id", filters::mermaid_id);
        env.add_filter("join", filters::join);
        // Compiled on first use: a run parses only the templates of the targets it renders.
        env.set_loader(|name| Ok(template_source(name)));
        Templates { env }
    }

    /// Renders template `name` with `view` as its context.
    pub fn render<V: Serialize>(&self, name: &str, view: &V) -> Result<String, RenderError> {
        self.render_context(name, &context(view))
    }

    /// Renders template `name` with a context made by [`context`], which several templates
    /// can share.
    pub fn render_context(&self, name: &str, context: &Value) -> Result<String, RenderError> {
        let template = self.env.get_template(name)?;
        Ok(template.render(context)?)
    }

    /// Names of every embedded template.
    pub fn names(&self) -> Vec<&'static str> {
        TEMPLATE_FILES.iter().map(|(name, _)| *name).collect()
    }
}

impl Default for Templates {
    fn default() -> Templates {
        Templates::new()
    }
}

/// The comment syntax of an output format, for the generated-file header.
#[derive(Debug, Clone, Copy)]
pub enum CommentStyle {
    /// `-- ` (SQL).
    Sql,
    /// `# ` (YAML).
    Hash,
    /// `// ` (Bicep).
    Slash,
    /// `<!-- -->` (Markdown).
    Html,
}

/// The header every rendered file starts with: that it is generated, and from which inputs.
/// No timestamp and no version, so the same inputs give the same bytes.
pub fn header(style: CommentStyle, sources: &[String]) -> String {
    let sources: String = sources
        .join(", ")
        .chars()
        .map(|c| if crate::names::is_control(c) { ' ' } else { c })
        .collect();
    let lines = [
        format!("Generated by gen from inputs: {sources}."),
        "Do not edit: change the inputs and run `gen render`.".to_owned(),
    ];
    match style {
        CommentStyle::Sql => lines.iter().map(|l| format!("-- {l}\n")).collect(),
        CommentStyle::Hash => lines.iter().map(|l| format!("# {l}\n")).collect(),
        CommentStyle::Slash => lines.iter().map(|l| format!("// {l}\n")).collect(),
        CommentStyle::Html => format!("<!-- {} -->\n", lines.join(" ").replace("--", "- -")),
    }
}

/// One output kind of one target: the unit of work the render threads share.
#[derive(Clone, Copy)]
enum Part {
    Readme,
    /// The manifests and the psql scripts, which a ConfigMap of the manifests carries: both
    /// come from one rendering of the scripts.
    KubernetesAndSql,
    /// The same for a cnpg target: its manifests carry the scripts too.
    CnpgAndSql,
    Bicep,
    Alerts,
    Sql,
}

impl Part {
    /// The parts of a target, costliest first, so that the last jobs the threads take
    /// are short ones and the threads finish together.
    fn of(target: &Target) -> &'static [Part] {
        match target.deployment {
            Deployment::Aks(_) => &[Part::Readme, Part::KubernetesAndSql, Part::Alerts],
            Deployment::FlexibleServer(_) => &[Part::Readme, Part::Alerts, Part::Bicep, Part::Sql],
            Deployment::Cnpg(_) => &[Part::Readme, Part::CnpgAndSql, Part::Alerts],
        }
    }

    /// Renders this part of `target` into `files`.
    fn render(
        self,
        target: &Target,
        templates: &Templates,
        files: &mut Files,
    ) -> Result<(), RenderError> {
        let dir = target.dir();
        let folders = match self {
            Part::Readme => {
                let text = readme::render(target, templates)?;
                files.insert(format!("{dir}/README.md"), text.into_bytes());
                return Ok(());
            }
            Part::KubernetesAndSql => {
                let scripts = sql::render(target, templates)?;
                let manifests = kubernetes::render(target, &scripts, templates)?;
                vec![("kubernetes", manifests), ("sql", scripts)]
            }
            Part::CnpgAndSql => {
                let scripts = sql::render(target, templates)?;
                let manifests = cnpg::render(target, &scripts, templates)?;
                vec![("kubernetes", manifests), ("sql", scripts)]
            }
            Part::Bicep => vec![("bicep", bicep::render(target, templates)?)],
            Part::Alerts => vec![("alerts", alerts::render(target, templates)?)],
            Part::Sql => vec![("sql", sql::render(target, templates)?)],
        };
        for (folder, rendered) in folders {
            for (name, text) in rendered {
                files.insert(format!("{dir}/{folder}/{name}"), text.into_bytes());
            }
        }
        Ok(())
    }
}

/// Renders every target of the model.
pub fn render(model: &Model, templates: &Templates) -> Result<Files, RenderError> {
    // Targets and their parts are independent, so the threads take them one by one. The
    // result is a sorted map, so the output does not depend on the split. Templates are
    // compiled on first use.
    let jobs: Vec<(&Target, Part)> = model
        .targets
        .iter()
        .flat_map(|target| Part::of(target).iter().map(move |part| (target, *part)))
        .collect();
    let parts = crate::jobs::on_every_core(
        jobs.len(),
        |i, (files, failure): &mut (Files, Option<(usize, RenderError)>)| {
            let (target, part) = jobs[i];
            if let Err(e) = part.render(target, templates, files) {
                failure.get_or_insert((i, e));
            }
        },
        || (Files::new(), None),
    );
    // The first failing job in job order, whichever thread met it.
    let mut files = Files::new();
    let mut first_failure: Option<(usize, RenderError)> = None;
    for (part, failure) in parts {
        files.extend(part);
        if let Some((i, e)) = failure
            && first_failure.as_ref().is_none_or(|(j, _)| i < *j)
        {
            first_failure = Some((i, e));
        }
    }
    match first_failure {
        Some((_, e)) => Err(e),
        None => Ok(files),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads_and_compiles() {
        let templates = Templates::new();
        let names = templates.names();
        let on_disk = walk(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        )));
        assert_eq!(
            names.len(),
            on_disk,
            "every file under templates/ is embedded"
        );
        for name in names {
            templates.env.get_template(name).unwrap();
        }
    }

    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { walk(&p) } else { 1 })
            .sum()
    }

    #[test]
    fn raw_values_are_refused() {
        let mut templates = Templates::new();
        templates.env.add_template_owned("t", "{{ x }}").unwrap();
        let e = templates
            .render("t", &serde_json::json!({"x": "a"}))
            .unwrap_err();
        assert!(e.0.contains("without an escaping filter"), "{}", e.0);
        templates
            .env
            .add_template_owned("u", "{{ x | sql_ident }}")
            .unwrap();
        assert_eq!(
            templates
                .render("u", &serde_json::json!({"x": "a"}))
                .unwrap(),
            "\"a\""
        );
    }

    #[test]
    fn undefined_values_are_errors() {
        let mut templates = Templates::new();
        templates
            .env
            .add_template_owned("t", "{{ missing | sql_ident }}")
            .unwrap();
        assert!(templates.render("t", &serde_json::json!({})).is_err());
    }

    #[test]
    fn headers_cannot_be_broken_by_file_names() {
        let h = header(CommentStyle::Sql, &["a\nDROP".to_owned()]);
        assert_eq!(h.lines().count(), 2);
    }
}
