//! Reads a SQL file the way psql reads a script given with `-f`, to find what psql would
//! not pass to the server as written: meta-commands (`\!` runs a shell) and variable
//! references (`:name`, `:'name'`, ...), anywhere outside quotes and comments.
//!
//! The rules follow psql's lexers, `src/fe_utils/psqlscan.l` (SQL text) and
//! `src/bin/psql/psqlscanslash.l` (meta-commands), in PostgreSQL 14 to 18, and two facts
//! of how psql feeds them (`src/bin/psql/mainloop.c`, `input.c`):
//!
//! - psql lexes one input line at a time, split at LF with the LF removed, and carries
//!   the lexer's state (inside a string, a comment, ...) from line to line. So a
//!   backslash at the end of a line inside an `E'...'` string escapes nothing, and the
//!   SQL rule that joins string literals separated by a line break never applies: the
//!   break it needs is not in psql's line. (It could be a lone CR, which is refused.)
//! - `standard_conforming_strings` is on: gen's scripts set it before the schema file,
//!   so a backslash inside `'...'` is an ordinary character. A statement of the file can
//!   turn it off, and psql then reads the lines after it with `'...'` as `E'...'`; so a
//!   backslash directly before a quote in `'...'`, the one place where the two readings
//!   end a string differently, is refused, and both read the file alike.
//!
//! Bytes from 0x80 up (every byte of a non-ASCII character) count as letters, as in psql.

use crate::load::position_after;
use crate::yaml::Pos;

/// Something in a script that psql would not pass to the server as it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `\name`, as written up to the next space or backslash: psql runs it.
    MetaCommand(String),
    /// `\;` or `\:`: psql sends the character but not its meaning (a `;` that does not
    /// end the statement, a `:` that starts no variable).
    PsqlEscape(char),
    /// `:name`, `:'name'`, `:"name"` or `:{?name}`: psql substitutes a variable.
    Variable(String),
    /// A number or `$1` run into a letter, `_`, `$` or a non-ASCII character (the
    /// number and that character, as in `1e`): psql 14, 15 and 16 end the number at
    /// different places, so they disagree on what follows (`1e'\' ...'` is an escape
    /// string to psql 14, `1e` and a standard string to psql 15; `1e--` starts a comment
    /// to psql 14 only). PostgreSQL 15 and later refuse such "trailing junk" anyway.
    LetterAfterNumber(String),
    /// A control character other than tab, LF and the CR of a CRLF line end.
    ControlCharacter(char),
    /// A CR not followed by LF: psql's lexer reads it as a line break inside psql's line.
    LoneCarriageReturn,
    /// A string, quoted identifier, dollar quote or comment still open at the end of the
    /// file, where psql would read on into the lines after it.
    Unterminated(Opening),
    /// A backslash directly before a quote inside `'...'` or `N'...'` (`'C:\'`): with
    /// `standard_conforming_strings` off, which a statement before it may set, psql reads
    /// the string as `E'...'`, where that quote does not end it, so what follows is read
    /// otherwise (`SET standard_conforming_strings = off;` and, on the next line,
    /// `SELECT '\', ' \! id` runs `id`).
    BackslashQuote,
}

/// What was left open at the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// `'...'`, `E'...'`, `U&'...'`, `B'...'`, `X'...'` or `N'...'`.
    String,
    /// `"..."` or `U&"..."`.
    QuotedIdentifier,
    /// `$tag$...$tag$`, with its delimiter.
    DollarQuote(String),
    /// `/* ... */`.
    Comment,
}

/// A refusal and where it starts (1-based line and column, columns in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    pub refusal: Refusal,
}

/// At most this many problems are reported for one file: a file with more is not one
/// anybody meant as SQL, and a list of millions would cost memory and help nobody.
pub const MAX_PROBLEMS: usize = 100;

/// The refusals in `text` in the order of their positions, the first [`MAX_PROBLEMS`].
pub fn problems(text: &str) -> Vec<Problem> {
    let mut found = control_characters(text);
    found.extend(Scanner::new(text).read());
    found.sort_by_key(|(offset, _)| *offset);
    found.truncate(MAX_PROBLEMS);
    let mut pos = Pos { line: 1, column: 1 };
    let mut done = 0;
    found
        .into_iter()
        .map(|(offset, refusal)| {
            pos = advance(pos, &text[done..offset]);
            done = offset;
            Problem { pos, refusal }
        })
        .collect()
}

/// A statement as the server receives it from psql (see [`statements`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Where its first token is.
    pub pos: Pos,
    /// Its leading words (unquoted identifiers and keywords), lowercase, at most four: the
    /// words that say what the statement is (`rollback`, `to`).
    pub words: Vec<String>,
    /// Whether a `;` ends it; the last statement of a file may lack one.
    pub complete: bool,
}

/// The statements of `text` in order, split where the server splits what psql sends: at a
/// `;` outside parentheses and outside the body of a `BEGIN ATOMIC ... END` routine
/// (psql's own split, `paren_depth` and `begin_depth` in `psqlscan.l`, only ever joins
/// more: it counts any `begin` of a `CREATE FUNCTION` statement, also a function named
/// `begin`, and then sends several statements at once, which the server runs one by one).
/// Meant for a file [`problems`] has nothing against: comments, quotes and dollar quotes
/// are read as there.
pub fn statements(text: &str) -> Vec<Statement> {
    let mut scanner = Scanner::new(text);
    while scanner.at < scanner.bytes.len() {
        scanner.token();
    }
    let mut pos = Pos { line: 1, column: 1 };
    let mut done = 0;
    scanner
        .split
        .finish()
        .into_iter()
        .map(|(offset, words, complete)| {
            pos = advance(pos, &text[done..offset]);
            done = offset;
            Statement {
                pos,
                words,
                complete,
            }
        })
        .collect()
}

/// The position after reading `text` from `pos`: one pass over the file for all problems.
fn advance(pos: Pos, text: &str) -> Pos {
    let step = position_after(text);
    if step.line == 1 {
        Pos {
            line: pos.line,
            column: pos.column + step.column - 1,
        }
    } else {
        Pos {
            line: pos.line + step.line - 1,
            column: step.column,
        }
    }
}

/// Control characters, wherever they are: invisible in an editor and in a review, so
/// nothing in a schema file may hide behind one. (NUL is refused earlier, when the file is
/// read.)
fn control_characters(text: &str) -> Vec<(usize, Refusal)> {
    text.char_indices()
        .filter_map(|(at, c)| match c {
            '\t' | '\n' => None,
            '\r' if text[at + 1..].starts_with('\n') => None,
            '\r' => Some((at, Refusal::LoneCarriageReturn)),
            c if c.is_control() => Some((at, Refusal::ControlCharacter(c))),
            _ => None,
        })
        .take(MAX_PROBLEMS)
        .collect()
}

/// How the inside of a quoted token is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// `'...'`: `''` is a quote, a backslash is itself.
    Standard,
    /// `E'...'`: a backslash escapes the next character, `''` is a quote.
    Escape,
    /// `"..."`: `""` is a quote.
    Identifier,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    found: Vec<(usize, Refusal)>,
    split: Split,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            bytes: text.as_bytes(),
            at: 0,
            found: Vec::new(),
            split: Split::default(),
        }
    }

    fn read(mut self) -> Vec<(usize, Refusal)> {
        while self.at < self.bytes.len() {
            self.token();
        }
        self.found
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at..]
    }

    /// Notes a refusal; past [`MAX_PROBLEMS`] the scanner only reads on.
    fn refuse(&mut self, offset: usize, refusal: Refusal) {
        if self.found.len() < MAX_PROBLEMS {
            self.found.push((offset, refusal));
        }
    }

    /// Reads one token from `self.at`. The order of the arms is psql's: comments before
    /// operators, quote prefixes (`E'`, `U&'`) before identifiers.
    fn token(&mut self) {
        let start = self.at;
        match self.rest() {
            [b'-', b'-', ..] => self.skip_to_line_end(),
            [b'/', b'*', ..] => self.block_comment(start),
            [b'\\', ..] => self.backslash(start),
            [b':', ..] => self.colon(start),
            [b'\'', ..] => self.standard_string(start, 1),
            [b'e' | b'E', b'\'', ..] => self.quoted(start, 2, Quoting::Escape),
            // N'..' is '..' to psql; B'..', X'..' and U&'..' differ from '..' in what the
            // server makes of them, not in where they end, whatever
            // standard_conforming_strings says.
            [b'n' | b'N', b'\'', ..] => self.standard_string(start, 2),
            [b'b' | b'B' | b'x' | b'X', b'\'', ..] => self.quoted(start, 2, Quoting::Standard),
            [b'u' | b'U', b'&', b'\'', ..] => self.quoted(start, 3, Quoting::Standard),
            [b'u' | b'U', b'&', b'"', ..] => self.quoted(start, 3, Quoting::Identifier),
            [b'"', ..] => self.quoted(start, 1, Quoting::Identifier),
            [b'$', ..] => self.dollar(start),
            [b'0'..=b'9', ..] | [b'.', b'0'..=b'9', ..] => self.number(),
            [c, ..] if is_identifier_start(*c) => self.skip_while(is_identifier_part),
            _ => self.at += 1,
        }
        self.split.token(&self.bytes[start..self.at], start);
    }

    fn skip_while(&mut self, keep: fn(u8) -> bool) {
        while self.rest().first().is_some_and(|&b| keep(b)) {
            self.at += 1;
        }
    }

    /// A `--` comment ends at a line break, which for psql's lexer is LF or CR.
    fn skip_to_line_end(&mut self) {
        self.skip_while(|b| b != b'\n' && b != b'\r');
    }

    /// `/* ... */`, nested as in PostgreSQL: `/* /* */` is still open.
    fn block_comment(&mut self, start: usize) {
        self.at += 2;
        let mut depth = 0;
        loop {
            match self.rest() {
                [] => return self.refuse(start, Refusal::Unterminated(Opening::Comment)),
                [b'/', b'*', ..] => {
                    depth += 1;
                    self.at += 2;
                }
                [b'*', ..] => {
                    self.skip_while(|b| b == b'*');
                    if self.rest().first() == Some(&b'/') {
                        self.at += 1;
                        if depth == 0 {
                            return;
                        }
                        depth -= 1;
                    }
                }
                _ => self.at += 1,
            }
        }
    }

    /// A backslash outside quotes: `\;` and `\:` are psql's escapes; anything else starts a
    /// meta-command, whose name runs to the next space or backslash (psqlscanslash.l).
    fn backslash(&mut self, start: usize) {
        if let Some(&c @ (b';' | b':')) = self.bytes.get(start + 1) {
            self.refuse(start, Refusal::PsqlEscape(char::from(c)));
            self.at = start + 2;
            return;
        }
        self.at = start + 1;
        self.skip_while(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'\\'));
        let name = String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned();
        self.refuse(start, Refusal::MetaCommand(name));
        // psql reads the rest of the line as the command's arguments. The file is refused
        // already; reading on from the next line keeps later positions meaningful.
        self.skip_while(|b| b != b'\n');
    }

    /// A colon: a `::` cast, a variable reference, or itself.
    fn colon(&mut self, start: usize) {
        let name_from = |offset: usize| variable_name_end(self.bytes, start + offset);
        let reference_end = match self.bytes.get(start + 1) {
            Some(b':') => {
                self.at = start + 2;
                return;
            }
            Some(b'\'') => name_from(2).filter(|&end| self.bytes.get(end) == Some(&b'\'')),
            Some(b'"') => name_from(2).filter(|&end| self.bytes.get(end) == Some(&b'"')),
            Some(b'{') if self.bytes.get(start + 2) == Some(&b'?') => {
                name_from(3).filter(|&end| self.bytes.get(end) == Some(&b'}'))
            }
            Some(&first) if is_variable_char(first) => {
                let end = name_from(1).unwrap_or(start + 1);
                // psql's variable names may start with a digit, so `arr[1:2]` is, to psql,
                // the reference `:2`, left as written because no variable `2` exists: psql
                // sets only variables named with a letter, gen passes none other with
                // `-v`, and the file cannot set one (no meta-commands). Refusing these
                // would refuse every array slice with a number after the colon.
                if first.is_ascii_digit() {
                    self.at = end;
                    return;
                }
                Some(end - 1)
            }
            _ => None,
        };
        match reference_end {
            Some(end) => {
                let reference = String::from_utf8_lossy(&self.bytes[start..=end]).into_owned();
                self.refuse(start, Refusal::Variable(reference));
                self.at = end + 1;
            }
            // `:'` not followed by a name and a quote, and the like: psql takes the colon
            // alone and reads on.
            None => self.at = start + 1,
        }
    }

    /// A quoted token whose opening (`prefix` bytes, the quote included) is at `start`.
    fn quoted(&mut self, start: usize, prefix: usize, quoting: Quoting) {
        let quote = if quoting == Quoting::Identifier {
            b'"'
        } else {
            b'\''
        };
        self.at = start + prefix;
        loop {
            match self.rest() {
                [] => {
                    let opening = match quoting {
                        Quoting::Identifier => Opening::QuotedIdentifier,
                        _ => Opening::String,
                    };
                    return self.refuse(start, Refusal::Unterminated(opening));
                }
                // A backslash before an LF is the last character of psql's line (the LF
                // is not part of it), so it escapes nothing: the next line starts unescaped.
                [b'\\', next, ..] if quoting == Quoting::Escape && *next != b'\n' => {
                    self.at += 2;
                }
                [q, q2, ..] if *q == quote && *q2 == quote => self.at += 2,
                [q, ..] if *q == quote => {
                    self.at += 1;
                    return;
                }
                _ => self.at += 1,
            }
        }
    }

    /// `'...'` (`prefix` 1) or `N'...'` (2), read as a standard string, and refused at a
    /// backslash where reading it as `E'...'` would end it elsewhere: see
    /// [`Refusal::BackslashQuote`].
    fn standard_string(&mut self, start: usize, prefix: usize) {
        self.quoted(start, prefix, Quoting::Standard);
        let unterminated = matches!(
            self.found.last(),
            Some((at, Refusal::Unterminated(_))) if *at == start
        );
        if unterminated {
            return;
        }
        // Inside, `''` pairs read alike both ways; the readings part only where a backslash
        // escapes a quote (`\\` is a pair, and a backslash at the end of psql's line
        // escapes nothing, as in `E'...'`).
        let (mut at, end) = (start + prefix, self.at);
        while at + 1 < end {
            match self.bytes[at..end] {
                [b'\\', b'\'', ..] => return self.refuse(at, Refusal::BackslashQuote),
                [b'\\', b'\n', ..] => at += 1,
                [b'\\', ..] => at += 2,
                _ => at += 1,
            }
        }
    }

    /// `$tag$` opens a dollar quote, `$1` is a parameter, any other `$` is itself.
    fn dollar(&mut self, start: usize) {
        let tag_end = match self.bytes.get(start + 1) {
            Some(&b) if is_identifier_start(b) => {
                let mut end = start + 2;
                while self.bytes.get(end).is_some_and(|&b| is_tag_part(b)) {
                    end += 1;
                }
                end
            }
            _ => start + 1,
        };
        if self.bytes.get(tag_end) == Some(&b'$') {
            let bytes = self.bytes;
            return self.dollar_quote(&bytes[start..=tag_end], start);
        }
        self.at = start + 1;
        if self.rest().first().is_some_and(u8::is_ascii_digit) {
            self.skip_while(|b| b.is_ascii_digit());
            // `$1$a$` is a parameter and a dollar quote to every psql, so only a letter
            // after the digits is junk.
            if self.rest().first().is_some_and(|&b| is_identifier_start(b)) {
                self.refuse_letter_after_number(start);
            }
        }
    }

    /// Everything up to the same delimiter is opaque: no escapes, no comments.
    fn dollar_quote(&mut self, delimiter: &'a [u8], start: usize) {
        let body = start + delimiter.len();
        match find(&self.bytes[body..], delimiter) {
            Some(at) => self.at = body + at + delimiter.len(),
            None => {
                let tag = String::from_utf8_lossy(delimiter).into_owned();
                self.refuse(start, Refusal::Unterminated(Opening::DollarQuote(tag)));
                self.at = self.bytes.len();
            }
        }
    }

    /// A number, read as psql 16 and later read one: decimal with `_` between digits,
    /// a fraction, an exponent, or `0x`, `0o`, `0b` and digits of that base.
    ///
    /// Older psql read the same characters as several tokens (psql 15: `1` and the junk
    /// `_000`; psql 14: `1` and the identifier `_000`), which all end where this one ends
    /// as long as the next character cannot continue an identifier. When it can, the
    /// versions part ways; see [`Refusal::LetterAfterNumber`].
    fn number(&mut self) {
        let start = self.at;
        if let [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..] = self.rest() {
            let base_digit: fn(u8) -> bool = match self.rest()[1].to_ascii_lowercase() {
                b'x' => |b| b.is_ascii_hexdigit(),
                b'o' => |b| (b'0'..=b'7').contains(&b),
                _ => |b| b == b'0' || b == b'1',
            };
            self.at += 2;
            if !self.digits(base_digit) {
                self.at = start + 1;
            }
        } else {
            self.digits(|b| b.is_ascii_digit());
            // `1..2` is `1` and `..`, not `1.` and `.2`.
            if let [b'.', next, ..] = self.rest()
                && *next != b'.'
            {
                self.at += 1;
                self.digits(|b| b.is_ascii_digit());
            }
            self.exponent();
        }
        if self.rest().first().is_some_and(|&b| is_identifier_part(b)) {
            self.refuse_letter_after_number(start);
        }
    }

    /// Digits of one base with single `_` between them (`1_000`): true if there were any.
    fn digits(&mut self, digit: fn(u8) -> bool) -> bool {
        let from = self.at;
        loop {
            match self.rest() {
                [d, ..] if digit(*d) => self.at += 1,
                [b'_', d, ..] if digit(*d) && self.at > from => self.at += 2,
                _ => return self.at > from,
            }
        }
    }

    /// `e5`, `E+5`, `e-05`, taken only when digits follow (psql gives back a bare `e`).
    fn exponent(&mut self) {
        let sign = match self.rest() {
            [b'e' | b'E', b'+' | b'-', ..] => 2,
            [b'e' | b'E', ..] => 1,
            _ => return,
        };
        let before = self.at;
        self.at += sign;
        if !self.digits(|b| b.is_ascii_digit()) {
            self.at = before;
        }
    }

    /// Refuses the character after the number that starts at `start`.
    fn refuse_letter_after_number(&mut self, start: usize) {
        let next = self.at + utf8_length(self.bytes[self.at]);
        let text = String::from_utf8_lossy(&self.bytes[start..next]).into_owned();
        self.refuse(self.at, Refusal::LetterAfterNumber(text));
    }
}

/// Where statements start and end, fed one token at a time (see [`statements`]).
#[derive(Default)]
struct Split {
    paren_depth: usize,
    /// Depth inside a `BEGIN ATOMIC` routine body, counting the `CASE ... END` in it.
    atomic_depth: usize,
    /// The statement being read: its offset and its first four tokens (a lowercase word,
    /// or `None` for any other token).
    current: Option<(usize, Vec<Option<String>>)>,
    /// The token before this one, when it was a word.
    previous_word: Option<String>,
    /// Statements read: offset, leading words, whether a `;` ended it.
    done: Vec<(usize, Vec<String>, bool)>,
}

impl Split {
    /// Takes the token `token`, found at `offset`.
    fn token(&mut self, token: &[u8], offset: usize) {
        let word = match token {
            [] | [b' ' | b'\t' | b'\n' | b'\r' | 0x0c] => return,
            [b'-', b'-', ..] | [b'/', b'*', ..] => return,
            [b';'] if self.paren_depth == 0 && self.atomic_depth == 0 => {
                self.end(true);
                return;
            }
            [first, ..]
                if is_identifier_start(*first) && token.iter().all(|&b| is_identifier_part(b)) =>
            {
                Some(String::from_utf8_lossy(token).to_ascii_lowercase())
            }
            _ => None,
        };
        let (_, lead) = self.current.get_or_insert_with(|| (offset, Vec::new()));
        if lead.len() < 4 {
            lead.push(word.clone());
        }
        let in_routine = is_routine(lead);
        match (token, word.as_deref()) {
            (b"(", _) => self.paren_depth += 1,
            (b")", _) => self.paren_depth = self.paren_depth.saturating_sub(1),
            (_, Some(w)) if in_routine && self.paren_depth == 0 => {
                let opens_body = w == "atomic" && self.previous_word.as_deref() == Some("begin");
                if opens_body || (w == "case" && self.atomic_depth > 0) {
                    self.atomic_depth += 1;
                } else if w == "end" && self.atomic_depth > 0 {
                    self.atomic_depth -= 1;
                }
            }
            _ => {}
        }
        self.previous_word = word;
    }

    /// Ends the statement being read, if there is one.
    fn end(&mut self, complete: bool) {
        if let Some((offset, lead)) = self.current.take() {
            let words = lead.into_iter().map_while(|token| token).collect();
            self.done.push((offset, words, complete));
        }
        self.previous_word = None;
    }

    /// Every statement, the one left open at the end of the text included.
    fn finish(mut self) -> Vec<(usize, Vec<String>, bool)> {
        self.end(false);
        self.done
    }
}

/// Whether a statement starting with `lead` is `CREATE [OR REPLACE] FUNCTION|PROCEDURE`,
/// whose body may be `BEGIN ATOMIC ... END` with `;` inside.
fn is_routine(lead: &[Option<String>]) -> bool {
    let word = |i: usize| lead.get(i).and_then(|w| w.as_deref());
    let routine = |w: Option<&str>| matches!(w, Some("function" | "procedure"));
    word(0) == Some("create")
        && (routine(word(1))
            || (word(1) == Some("or") && word(2) == Some("replace") && routine(word(3))))
}

/// The length of the UTF-8 character that starts with `first`.
fn utf8_length(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// The end of the run of variable-name characters from `from`, if there is one: the
/// offset just past it.
fn variable_name_end(bytes: &[u8], from: usize) -> Option<usize> {
    let length = bytes
        .get(from..)?
        .iter()
        .take_while(|&&b| is_variable_char(b))
        .count();
    (length > 0).then(|| from + length)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// psql's `ident_start`: a letter, `_`, or any byte of a non-ASCII character.
fn is_identifier_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// psql's `ident_cont`: identifiers may hold digits and `$` (`a$b$` is one identifier).
fn is_identifier_part(b: u8) -> bool {
    is_identifier_start(b) || b.is_ascii_digit() || b == b'$'
}

/// psql's `dolq_cont`: a dollar-quote tag is an identifier without `$`.
fn is_tag_part(b: u8) -> bool {
    is_identifier_start(b) || b.is_ascii_digit()
}

/// psql's `variable_char`.
fn is_variable_char(b: u8) -> bool {
    is_identifier_start(b) || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal in `sql` as `(line, column, refusal)`.
    fn refusals(sql: &str) -> Vec<(usize, usize, Refusal)> {
        problems(sql)
            .into_iter()
            .map(|p| (p.pos.line, p.pos.column, p.refusal))
            .collect()
    }

    fn assert_refused(sql: &str, line: usize, column: usize, refusal: Refusal) {
        assert_eq!(refusals(sql), vec![(line, column, refusal)], "{sql}");
    }

    fn assert_allowed(sql: &str) {
        assert_eq!(refusals(sql), vec![], "{sql}");
    }

    fn meta(name: &str) -> Refusal {
        Refusal::MetaCommand(name.to_owned())
    }

    fn variable(reference: &str) -> Refusal {
        Refusal::Variable(reference.to_owned())
    }

    #[test]
    fn a_meta_command_after_a_statement_is_refused() {
        assert_refused("CREATE TABLE t(x int); \\! id", 1, 24, meta("\\!"));
    }

    #[test]
    fn a_meta_command_at_the_start_of_a_line_is_refused() {
        assert_refused("SELECT 1;\n  \\connect other", 2, 3, meta("\\connect"));
    }

    #[test]
    fn a_meta_command_inside_a_dollar_quote_is_allowed() {
        assert_allowed(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$\n\\! id\nSELECT 1 -- ' \\!\n$body$;",
        );
        assert_allowed("SELECT $$ \\! id $$, $a$ $b$ \\! $a$;");
    }

    #[test]
    fn a_meta_command_inside_a_line_comment_is_allowed() {
        assert_allowed("SELECT 1; -- then \\! id\nSELECT 2;");
    }

    #[test]
    fn a_meta_command_inside_a_nested_comment_is_allowed() {
        assert_allowed("/* /* nested */ \\! */ SELECT 1;");
    }

    #[test]
    fn a_comment_closed_once_of_two_is_still_open() {
        assert_refused(
            "/* /* nested */ SELECT 1;",
            1,
            1,
            Refusal::Unterminated(Opening::Comment),
        );
    }

    #[test]
    fn a_meta_command_after_an_escape_string_ending_in_a_backslash_is_refused() {
        // `E'\\'` is one backslash: the string ends, and `\!` is outside it.
        assert_refused("SELECT E'\\\\'; \\! id", 1, 15, meta("\\!"));
    }

    #[test]
    fn a_backslash_ends_nothing_in_a_standard_string() {
        // With standard_conforming_strings on, `'\'` is a whole string (refused all the
        // same: see the next test).
        assert_eq!(
            refusals("SELECT '\\'; \\! id"),
            vec![(1, 9, Refusal::BackslashQuote), (1, 13, meta("\\!"))]
        );
    }

    #[test]
    fn a_backslash_before_a_quote_in_a_standard_string_is_refused() {
        // Accepted before: a shell command once the file turns the setting off.
        assert_refused(
            "SET standard_conforming_strings = off;\nSELECT '\\' , ' \\! touch pwned\n';",
            2,
            9,
            Refusal::BackslashQuote,
        );
        assert_refused("SELECT 'C:\\dir\\';", 1, 15, Refusal::BackslashQuote);
        assert_refused("SELECT N'a\\''b';", 1, 11, Refusal::BackslashQuote);
        assert_refused("SELECT 'a''\\';", 1, 12, Refusal::BackslashQuote);
        // Read alike both ways: no backslash before a quote, or an even run of them.
        assert_allowed(
            "SELECT '^\\d+$', 'a\\\\', 'it''s', '\\n', 'x\\\\''y', E'\\'', B'1', X'F', U&'\\0041';",
        );
        // A backslash at the end of a line escapes nothing in E'...' either.
        assert_allowed("SELECT 'a\\\n';");
    }

    #[test]
    fn a_meta_command_inside_an_escape_string_is_allowed() {
        assert_allowed("SELECT E'\\' \\! ';");
        assert_allowed("SELECT e'it''s \\' \\! ';");
    }

    #[test]
    fn an_e_that_ends_an_identifier_starts_no_escape_string() {
        // `somee'\'` is the identifier `somee` and the standard string `'\'`.
        assert_eq!(
            refusals("SELECT somee'\\' \\! ';"),
            vec![(1, 14, Refusal::BackslashQuote), (1, 17, meta("\\!"))]
        );
    }

    #[test]
    fn a_backslash_at_the_end_of_a_line_escapes_nothing() {
        // psql reads line by line without the LF, so the quote opening line 2 ends the
        // escape string and `\!` runs.
        assert_refused("SELECT E'a\\\n' \\! '", 2, 3, meta("\\!"));
    }

    #[test]
    fn other_prefixed_strings_end_at_a_quote() {
        assert_refused("SELECT U&'\\' \\! ';", 1, 14, meta("\\!"));
        assert_allowed("SELECT B'1''0', X'1F', N'n''\\x', U&\"a\\ \\!\";");
    }

    #[test]
    fn a_meta_command_inside_a_quoted_identifier_is_allowed() {
        assert_allowed("CREATE TABLE \"a\\\"\" \\! \" (x int);");
    }

    #[test]
    fn a_dollar_inside_an_identifier_starts_no_dollar_quote() {
        assert_refused("SELECT a$b$ \\! id", 1, 13, meta("\\!"));
    }

    #[test]
    fn a_parameter_is_no_dollar_quote_but_a_tag_after_it_is() {
        assert_allowed("PREPARE p AS SELECT $1$x$ \\! $x$;");
        assert_refused("PREPARE p AS SELECT $1; \\! id", 1, 25, meta("\\!"));
    }

    #[test]
    fn psql_escapes_are_refused() {
        assert_refused("SELECT 1 \\; SELECT 2;", 1, 10, Refusal::PsqlEscape(';'));
        assert_refused("SELECT 1 \\:x;", 1, 10, Refusal::PsqlEscape(':'));
    }

    #[test]
    fn a_quoted_variable_reference_is_refused() {
        assert_refused(
            "ALTER ROLE app PASSWORD :'password';",
            1,
            25,
            variable(":'password'"),
        );
        assert_refused("SELECT * FROM :\"table\";", 1, 15, variable(":\"table\""));
        assert_refused("SELECT :{?flag};", 1, 8, variable(":{?flag}"));
    }

    #[test]
    fn a_variable_reference_by_name_is_refused() {
        assert_refused("SELECT :name;", 1, 8, variable(":name"));
        assert_refused("SELECT :_x1;", 1, 8, variable(":_x1"));
        assert_refused("SELECT :변수;", 1, 8, variable(":변수"));
        // After a `::` cast, a third colon starts a reference.
        assert_refused("SELECT 1:::x;", 1, 11, variable(":x"));
    }

    #[test]
    fn casts_and_slices_with_a_number_are_allowed() {
        assert_allowed("SELECT x::int, arr[1:2], arr[1 : n], arr[:3], ':x', \":x\";");
        assert_allowed("SELECT :'not a name', :{x};");
    }

    #[test]
    fn a_letter_directly_after_a_number_is_refused() {
        let junk = |text: &str| Refusal::LetterAfterNumber(text.to_owned());
        // psql 14 reads an escape string `e'\' \! '`, psql 15 `1e` and a string `'\'`.
        assert_refused("SELECT 1e'\\' \\! ';", 1, 9, junk("1e"));
        // psql 15 and later run `\!` here (`1e-` is one token); psql 14 reads a comment.
        assert_refused("SELECT 1e-- \\! id", 1, 9, junk("1e"));
        // psql 14 opens a dollar quote after `1e5`; psql 15 reads the junk `1e5$a$`.
        assert_refused("SELECT 1e5$a$ \\! $a$;", 1, 11, junk("1e5$"));
        assert_refused("SELECT 1.5E'x';", 1, 11, junk("1.5E"));
        assert_refused("SELECT 1_000e'x';", 1, 13, junk("1_000e"));
        assert_refused("SELECT 0x1Fg;", 1, 12, junk("0x1Fg"));
        assert_refused("SELECT $1e'x';", 1, 10, junk("$1e"));
        assert_refused("SELECT 1한;", 1, 9, junk("1한"));
    }

    #[test]
    fn numbers_of_every_psql_version_are_allowed() {
        assert_allowed(
            "SELECT 1, 1.5, .5, 1., 1e3, 1.5E-3, 1..2, 1_000_000, 1_000.5, 0x1F, 0o17, 0b101, $1, $1$x$ $x$;",
        );
        assert_allowed("SELECT 1 e'x', x1e'x', 1-1, 1::text, (1)e;");
    }

    #[test]
    fn an_unterminated_string_is_refused_where_it_opens() {
        let open = Refusal::Unterminated(Opening::String);
        assert_refused("SELECT 1;\nSELECT 'abc;\n", 2, 8, open.clone());
        assert_refused("SELECT E'abc\\';\n", 1, 8, open.clone());
        assert_refused("SELECT E'abc\\", 1, 8, open);
    }

    #[test]
    fn an_unterminated_quoted_identifier_is_refused_where_it_opens() {
        assert_refused(
            "SELECT 1 AS \"x;",
            1,
            13,
            Refusal::Unterminated(Opening::QuotedIdentifier),
        );
    }

    #[test]
    fn an_unterminated_dollar_quote_is_refused_where_it_opens() {
        assert_refused(
            "DO $fn$ BEGIN NULL; END $f$;",
            1,
            4,
            Refusal::Unterminated(Opening::DollarQuote("$fn$".to_owned())),
        );
    }

    #[test]
    fn control_characters_are_refused_even_inside_strings() {
        assert_refused(
            "SELECT 'a\u{7}';",
            1,
            10,
            Refusal::ControlCharacter('\u{7}'),
        );
        assert_refused(
            "SELECT 1;\u{85}",
            1,
            10,
            Refusal::ControlCharacter('\u{85}'),
        );
    }

    #[test]
    fn a_carriage_return_is_allowed_only_before_a_line_feed() {
        assert_allowed("SELECT 1;\r\nSELECT\t2;\r\n");
        assert_refused("SELECT 'a'\r'b';", 1, 11, Refusal::LoneCarriageReturn);
    }

    #[test]
    fn columns_count_characters_and_every_problem_is_reported() {
        assert_eq!(
            refusals("SELECT '한글'; \\! id\nSELECT :x, \\q"),
            vec![
                (1, 14, meta("\\!")),
                (2, 8, variable(":x")),
                (2, 12, meta("\\q")),
            ]
        );
    }

    #[test]
    fn at_most_a_hundred_problems_are_reported_each_where_it_is() {
        let text = "SELECT :a;\r\n".repeat(1_000);
        let found = refusals(&text);
        assert_eq!(found.len(), MAX_PROBLEMS);
        assert_eq!(found[99], (100, 8, variable(":a")));
    }

    /// Each statement of `sql` as `(line, column, leading words, complete)`.
    fn split(sql: &str) -> Vec<(usize, usize, String, bool)> {
        statements(sql)
            .into_iter()
            .map(|s| (s.pos.line, s.pos.column, s.words.join(" "), s.complete))
            .collect()
    }

    #[test]
    fn statements_end_at_a_semicolon_outside_quotes_comments_and_parentheses() {
        assert_eq!(
            split(
                "-- lead\nCREATE TABLE t (a int, CHECK (a > 0)); /* ; */ INSERT INTO t VALUES (1);\n\
                 SELECT ';', \"a;b\", $x$ ; COMMIT; $x$ FROM t;\n  Commit Work;"
            ),
            vec![
                (2, 1, "create table t".to_owned(), true),
                (2, 48, "insert into t values".to_owned(), true),
                (3, 1, "select".to_owned(), true),
                (4, 3, "commit work".to_owned(), true),
            ]
        );
    }

    #[test]
    fn a_begin_atomic_body_is_one_statement() {
        let sql = "CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\n\
                   BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 END; SELECT 2; END;\nEND;";
        assert_eq!(
            split(sql),
            vec![
                (1, 1, "create or replace function".to_owned(), true),
                (3, 1, "end".to_owned(), true),
            ]
        );
        // A function named `begin` opens no body, unlike to psql (which then sends both
        // statements at once, and the server runs the `COMMIT`).
        assert_eq!(
            split("CREATE FUNCTION begin() RETURNS int LANGUAGE sql RETURN 1; COMMIT;"),
            vec![
                (1, 1, "create function begin".to_owned(), true),
                (1, 60, "commit".to_owned(), true),
            ]
        );
        // Outside a routine, BEGIN ATOMIC means nothing to the split.
        assert_eq!(split("SELECT begin atomic; END;").len(), 2);
    }

    #[test]
    fn leading_words_stop_at_the_first_other_token() {
        assert_eq!(
            split("ROLLBACK TO SAVEPOINT s; \"commit\"; (COMMIT); E'x';"),
            vec![
                (1, 1, "rollback to savepoint s".to_owned(), true),
                (1, 26, String::new(), true),
                (1, 36, String::new(), true),
                (1, 46, String::new(), true),
            ]
        );
    }

    #[test]
    fn a_statement_without_a_semicolon_at_the_end_is_incomplete() {
        assert_eq!(
            split("SELECT 1;\nSELECT 2 -- no end\n"),
            vec![
                (1, 1, "select".to_owned(), true),
                (2, 1, "select".to_owned(), false),
            ]
        );
        assert!(!split("SELECT (1;").last().unwrap().3);
        assert_eq!(
            split("SELECT 1; -- done\n\n"),
            vec![(1, 1, "select".to_owned(), true)]
        );
    }

    #[test]
    fn the_example_schema_files_are_plain_sql() {
        for file in ["auth.psql", "bill-inquiry.psql"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("inputs/sql")
                .join(file);
            assert_allowed(&std::fs::read_to_string(path).unwrap());
        }
    }
}
