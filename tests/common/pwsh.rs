//! Reading generated PowerShell back with the `tree-sitter-powershell` grammar.
//!
//! Tests use this to prove that a generated script is syntactically valid and
//! that each value reached the intended parameter of the intended command as a
//! single-quoted literal with the intended run-time value.
//!
//! Node kinds this module relies on (tree-sitter-powershell 0.25):
//! - `command`, with fields `command_name` (a `command_name` node, or a
//!   `command_name_expr` after `&`/`.`) and `command_elements`;
//! - inside `command_elements`: `command_parameter` (`-Identity`; the grammar
//!   never includes a trailing `:`, so `-Name:value` appears as the parameter,
//!   a `command_argument_sep` whose text is `:`, then the value),
//!   `command_argument_sep` (whitespace or `:`), `generic_token` (bare words
//!   such as `OCS` or `/noforce`), and expression arguments wrapped as
//!   `array_literal_expression` > `unary_expression` > primary expression;
//! - primary expressions: `string_literal` > `verbatim_string_characters` for
//!   `'...'`, `variable` for `$x`, anything else is reported as source text;
//! - `ERROR` nodes and zero-width MISSING nodes for syntax errors.
//!
//! Unicode single quotes: the grammar recognises only the ASCII apostrophe as
//! a quote (`verbatim_string_characters` is `'` then `[^']+` or `''`, then
//! `'`), so U+2018–U+201B are ordinary characters to it. PowerShell itself
//! treats all five as quotes: inside a single-quoted literal two consecutive
//! quote characters of any of the five kinds stand for the second one, and a
//! lone one ends the string. Decoding here follows PowerShell, and any literal
//! on which the two tokenisations could disagree (an unpaired Unicode quote in
//! the body, or a quote character directly after the closing apostrophe) is
//! not reported as a literal at all, so a test can never accept a value that
//! PowerShell would read differently.
#![allow(dead_code)]

use tree_sitter::{Node, Parser, Tree};

/// One argument of a command invocation, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A parameter name exactly as written, e.g. `-Identity`.
    Parameter(String),
    /// Anything that is not a parameter name.
    Value(ArgValue),
}

/// A value passed to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// A single-quoted string literal, decoded to its run-time value.
    Literal(String),
    /// A variable reference such as `$true`, as written.
    Variable(String),
    /// A bare word that PowerShell passes through verbatim, e.g. `OCS`.
    Bare(String),
    /// Anything else (expandable strings, subexpressions, script blocks,
    /// arrays, bare words that would expand, ...), as source text.
    Other(String),
}

/// A command invocation found in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The command name as written (decoded if written as a literal after `&`).
    pub name: String,
    /// Parameters and values in source order; argument separators are dropped.
    pub args: Vec<Arg>,
    /// 1-based line on which the invocation starts.
    pub line: usize,
}

impl Command {
    /// The value following `-Name` (case-insensitive; the leading `-` may be
    /// omitted). Covers `-Name value` and `-Name:value`, which the grammar
    /// represents identically apart from the separator.
    pub fn param(&self, name: &str) -> Option<&ArgValue> {
        let wanted = name.trim_start_matches('-');
        let at = self.args.iter().position(|arg| match arg {
            Arg::Parameter(p) => p
                .trim_start_matches('-')
                .trim_end_matches(':')
                .eq_ignore_ascii_case(wanted),
            Arg::Value(_) => false,
        })?;
        match self.args.get(at + 1)? {
            Arg::Value(v) => Some(v),
            Arg::Parameter(_) => None,
        }
    }

    /// Whether a switch or parameter named `name` is present at all.
    pub fn has_param(&self, name: &str) -> bool {
        let wanted = name.trim_start_matches('-');
        self.args.iter().any(|arg| {
            matches!(arg, Arg::Parameter(p)
                if p.trim_start_matches('-').trim_end_matches(':').eq_ignore_ascii_case(wanted))
        })
    }
}

fn parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("tree-sitter-powershell grammar is compatible with the tree-sitter runtime");
    parser
}

/// Parses a whole script; Err lists every ERROR or MISSING node as "line:col: <snippet>".
///
/// Lines and columns are 1-based; columns count characters.
pub fn parse(script: &str) -> Result<Tree, Vec<String>> {
    let Some(tree) = parser().parse(script, None) else {
        return Err(vec!["1:1: parser produced no tree".to_owned()]);
    };
    let root = tree.root_node();
    if !root.has_error() {
        return Ok(tree);
    }
    let mut errors = Vec::new();
    for node in descendants(root) {
        if node.is_missing() {
            errors.push(format!(
                "{}: missing {:?}",
                position(script, node),
                node.kind()
            ));
        } else if node.is_error() {
            errors.push(format!(
                "{}: unexpected {}",
                position(script, node),
                snippet(text(script, node))
            ));
        }
    }
    if errors.is_empty() {
        // `has_error` is set but no node carries it; still a failure.
        errors.push(format!("1:1: syntax error in {}", root.to_sexp()));
    }
    Err(errors)
}

/// Panics with the error list (for tests).
#[track_caller]
pub fn assert_parses(script: &str) {
    if let Err(errors) = parse(script) {
        panic!(
            "script does not parse:\n  {}\n--- script ---\n{script}",
            errors.join("\n  ")
        );
    }
}

/// Every command invocation in the script whose command name equals `name`
/// case-insensitively, wherever it is nested (inside if/foreach/try/functions/
/// script blocks, pipelines, subexpressions). Works on scripts with syntax
/// errors too, returning whatever the grammar recovered.
pub fn commands_named(script: &str, name: &str) -> Vec<Command> {
    let Some(tree) = parser().parse(script, None) else {
        return Vec::new();
    };
    descendants(tree.root_node())
        .into_iter()
        .filter(|node| node.kind() == "command")
        .filter_map(|node| read_command(script, node))
        .filter(|command| command.name.eq_ignore_ascii_case(name))
        .collect()
}

/// Every command invocation in the script, in source order.
pub fn all_commands(script: &str) -> Vec<Command> {
    let Some(tree) = parser().parse(script, None) else {
        return Vec::new();
    };
    descendants(tree.root_node())
        .into_iter()
        .filter(|node| node.kind() == "command")
        .filter_map(|node| read_command(script, node))
        .collect()
}

/// Parses `$v = <text>` and returns Some(decoded value) only if <text> is
/// exactly ONE single-quoted string literal and nothing else (no second token,
/// no surrounding whitespace, no error).
pub fn as_single_literal(text: &str) -> Option<String> {
    const PREFIX: &str = "$v = ";
    let script = format!("{PREFIX}{text}");
    let tree = parse(&script).ok()?;
    let literals: Vec<Node> = descendants(tree.root_node())
        .into_iter()
        .filter(|node| node.kind() == "verbatim_string_characters")
        .collect();
    let [literal] = literals.as_slice() else {
        return None;
    };
    // The one literal token must cover all of `text`: anything before or
    // after it would be a second token, a comment or an operator.
    if literal.start_byte() != PREFIX.len() || literal.end_byte() != script.len() {
        return None;
    }
    // And it must be the assigned value itself, not e.g. part of a command.
    let assignment = literal
        .parent()
        .and_then(|p| climb_single_child_wrappers(p, "assignment_expression"))?;
    assignment.child_by_field_name("value")?;
    decode_verbatim(text)
}

/// Walks up from `node` while each ancestor is a pure wrapper (one named
/// child) until an ancestor of kind `kind` is reached.
fn climb_single_child_wrappers<'t>(mut node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    loop {
        if node.kind() == kind {
            return Some(node);
        }
        if node.named_child_count() != 1 {
            return None;
        }
        node = node.parent()?;
    }
}

/// Decodes a `'...'` token to its run-time value following PowerShell's
/// tokenizer: inside the body, two consecutive single-quote characters (any
/// of the five) yield the second one; a lone one would end the string early,
/// so such a token is rejected.
pub fn decode_verbatim(token: &str) -> Option<String> {
    let body = token.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut value = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if is_ps_single_quote(c) {
            let second = chars.next().filter(|&n| is_ps_single_quote(n))?;
            value.push(second);
        } else {
            value.push(c);
        }
    }
    Some(value)
}

/// The five characters PowerShell's tokenizer treats as single quotes.
/// Deliberately independent of the product's own table so that tests check
/// the escaping against a second statement of the rule.
fn is_ps_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

fn read_command(script: &str, node: Node) -> Option<Command> {
    let name_node = node.child_by_field_name("command_name")?;
    let name_text = text(script, name_node);
    // After `&` the name may itself be a literal such as `& 'iisreset.exe'`.
    let name = decode_verbatim(name_text.trim()).unwrap_or_else(|| name_text.to_owned());
    let mut args = Vec::new();
    if let Some(elements) = node.child_by_field_name("command_elements") {
        let mut cursor = elements.walk();
        for child in elements.named_children(&mut cursor) {
            match child.kind() {
                "command_argument_sep" => {}
                "command_parameter" => args.push(Arg::Parameter(text(script, child).to_owned())),
                _ => args.push(Arg::Value(classify_value(script, child))),
            }
        }
    }
    Some(Command {
        name,
        args,
        line: node.start_position().row + 1,
    })
}

fn classify_value(script: &str, node: Node) -> ArgValue {
    let source = text(script, node).to_owned();
    match node.kind() {
        "generic_token" => {
            // PowerShell expands `$var`, interprets backticks and starts a
            // string at any quote inside a bare word, so only plain words are
            // verbatim values.
            if source.chars().any(|c| {
                matches!(c, '$' | '`' | '"' | '\u{201C}'..='\u{201E}') || is_ps_single_quote(c)
            }) {
                ArgValue::Other(source)
            } else {
                ArgValue::Bare(source)
            }
        }
        "array_literal_expression" => {
            let Some(primary) = only_named_child(node)
                .filter(|n| n.kind() == "unary_expression")
                .and_then(only_named_child)
            else {
                return ArgValue::Other(source);
            };
            match primary.kind() {
                "variable" => ArgValue::Variable(text(script, primary).to_owned()),
                "string_literal" => only_named_child(primary)
                    .filter(|n| n.kind() == "verbatim_string_characters")
                    .filter(|n| !followed_by_quote(script, *n))
                    .and_then(|n| decode_verbatim(text(script, n)))
                    .map_or(ArgValue::Other(source), ArgValue::Literal),
                _ => ArgValue::Other(source),
            }
        }
        _ => ArgValue::Other(source),
    }
}

/// PowerShell would read a quote directly after the closing apostrophe as an
/// escaped quote and keep the string open; the grammar would not.
fn followed_by_quote(script: &str, node: Node) -> bool {
    script
        .get(node.end_byte()..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(is_ps_single_quote)
}

fn only_named_child(node: Node) -> Option<Node> {
    if node.named_child_count() == 1 {
        node.named_child(0)
    } else {
        None
    }
}

/// All nodes of the tree in document order, including anonymous and MISSING ones.
fn descendants(root: Node) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut cursor = root.walk();
    loop {
        nodes.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return nodes;
            }
        }
    }
}

fn text<'s>(script: &'s str, node: Node) -> &'s str {
    script.get(node.byte_range()).unwrap_or("")
}

fn position(script: &str, node: Node) -> String {
    let point = node.start_position();
    let line_start = node.start_byte().saturating_sub(point.column);
    let column = script
        .get(line_start..node.start_byte())
        .map_or(point.column, |prefix| prefix.chars().count());
    format!("{}:{}", point.row + 1, column + 1)
}

fn snippet(source: &str) -> String {
    const MAX: usize = 40;
    let mut shown: String = source.chars().take(MAX).collect();
    if source.chars().count() > MAX {
        shown.push('…');
    }
    format!("{shown:?}")
}
