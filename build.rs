//! Embeds every file under `templates/` into the binary.

fn main() {
    minijinja_embed::embed_templates!("templates");
}
