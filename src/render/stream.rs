//! Rendering a large organisation without holding its outputs or its whole context: the
//! per-server lists of the context are made one item at a time while a template renders,
//! and what the template writes goes straight to its file.
//!
//! A built-in template iterates the servers with `{{#each servers}}` (and `all_servers`,
//! `skipped`, and each pool's `hosts`). In a streamed context those lists are a marker
//! object naming the list; this module's `each` helper, registered for the render only,
//! sees the marker and builds each server's entry from the plan as it reaches it, then
//! drops it. Every other
//! `{{#each}}` is Handlebars' own. A marker is a non-empty object, so `{{#if servers}}`
//! tests as it does on the list; an empty list is an empty array, as in a whole context.

use std::io::Write;

use handlebars::{
    BlockContext, BlockParams, Context as HandlebarsContext, Handlebars, Helper, HelperDef,
    HelperResult, Output, RenderContext, RenderError, RenderErrorReason, Renderable,
};
use serde_json::Value;

use crate::plan::{ServerPlan, Status};

use super::context::{self, Context};

/// The key of the marker object that stands for a streamed list.
const MARKER: &str = "owa-im-migrate:streamed";

/// The lists of a context that a render makes one item at a time, from the plan.
pub struct Streams<'a> {
    /// The converted servers, in the plan's order: `servers`.
    servers: Vec<&'a ServerPlan>,
    /// Every server with a name: `all_servers`.
    all_servers: Vec<&'a ServerPlan>,
    /// Every config file not in the script: `skipped`.
    skipped: Vec<&'a ServerPlan>,
    /// The converted servers of each pool, in the order of `pools`: its `hosts`.
    hosts: Vec<Vec<&'a ServerPlan>>,
}

/// A streamed list: its name in the context (`hosts` is in each of `pools`).
#[derive(Clone, Copy)]
enum List {
    Servers,
    AllServers,
    Skipped,
    /// The `hosts` of pool `n`.
    Hosts(usize),
}

/// The key of a `hosts` marker that says which pool's.
const POOL: &str = "pool";

impl List {
    /// The lists at the top of the context.
    const TOP: [List; 3] = [List::Servers, List::AllServers, List::Skipped];

    fn name(self) -> &'static str {
        match self {
            List::Servers => "servers",
            List::AllServers => "all_servers",
            List::Skipped => "skipped",
            List::Hosts(_) => "hosts",
        }
    }

    /// The list a marker object stands for.
    fn of_marker(value: &Value) -> Option<List> {
        match value.get(MARKER)?.as_str()? {
            "hosts" => {
                let pool = value.get(POOL)?.as_u64()?;
                Some(List::Hosts(usize::try_from(pool).ok()?))
            }
            name => Self::TOP.into_iter().find(|list| list.name() == name),
        }
    }

    fn marker(self) -> Value {
        match self {
            List::Hosts(pool) => serde_json::json!({ MARKER: self.name(), POOL: pool }),
            _ => serde_json::json!({ MARKER: self.name() }),
        }
    }

    /// Where the list is in the context, for messages.
    fn path(self) -> String {
        match self {
            List::Hosts(pool) => format!("pools[{pool}].hosts"),
            _ => self.name().to_string(),
        }
    }
}

impl<'a> Streams<'a> {
    /// The lists of a whole organisation's plan.
    pub fn new(plan: &'a [ServerPlan]) -> Streams<'a> {
        Streams {
            servers: plan
                .iter()
                .filter(|s| s.status() == Status::Converted)
                .collect(),
            all_servers: plan.iter().filter(|s| s.server.is_some()).collect(),
            skipped: plan
                .iter()
                .filter(|s| s.status() != Status::Converted)
                .collect(),
            hosts: context::pool_members(plan).into_values().collect(),
        }
    }

    /// No streamed list: for a context that has its lists whole.
    pub fn none() -> Streams<'static> {
        Streams {
            servers: Vec::new(),
            all_servers: Vec::new(),
            skipped: Vec::new(),
            hosts: Vec::new(),
        }
    }

    /// The context as templates read it, with the streamed lists as markers (or empty).
    pub fn root(&self, context: &Context) -> Result<Value, serde_json::Error> {
        let mut value = serde_json::to_value(context)?;
        for list in List::TOP {
            value[list.name()] = self.marker_or_empty(list);
        }
        if let Some(pools) = value["pools"].as_array_mut() {
            for (n, pool) in pools.iter_mut().enumerate() {
                pool["hosts"] = self.marker_or_empty(List::Hosts(n));
            }
        }
        Ok(value)
    }

    /// A non-empty object for a list with items, so that `{{#if}}` tests as it does on the
    /// list; an empty list as itself.
    fn marker_or_empty(&self, list: List) -> Value {
        if self.plans(list).is_empty() {
            Value::Array(Vec::new())
        } else {
            list.marker()
        }
    }

    fn plans(&self, list: List) -> &[&'a ServerPlan] {
        match list {
            List::Servers => &self.servers,
            List::AllServers => &self.all_servers,
            List::Skipped => &self.skipped,
            List::Hosts(pool) => self.hosts.get(pool).map_or(&[], Vec::as_slice),
        }
    }

    /// Item `i` of a list, as the whole context would have it.
    fn item(&self, list: List, i: usize) -> Result<Value, String> {
        let plan = self.plans(list)[i];
        let value = match list {
            List::Servers => context::server_context(plan).map(serde_json::to_value),
            List::AllServers => context::any_server(plan).map(serde_json::to_value),
            List::Skipped => Some(serde_json::to_value(context::skipped(plan))),
            List::Hosts(_) => context::authorized_host(plan).map(serde_json::to_value),
        }
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or(Value::Null);
        if let Some(path) = super::control_character(&value) {
            return Err(format!(
                "the context value .{}[{i}]{path} contains a control character",
                list.path()
            ));
        }
        Ok(value)
    }

    /// Renders a registered template with these lists into `out`.
    pub(super) fn render(
        &self,
        registry: &Handlebars<'static>,
        name: &str,
        data: &HandlebarsContext,
        out: &mut dyn Write,
    ) -> Result<(), RenderError> {
        let template = registry
            .get_template(name)
            .ok_or_else(|| RenderErrorReason::TemplateNotFound(name.to_string()))?;
        let mut rc = RenderContext::new(template.name.as_ref());
        rc.register_local_helper("each", Box::new(Each { streams: self }));
        template.render(registry, data, &mut rc, &mut Writer(out))
    }
}

/// Handlebars' output into any writer.
struct Writer<'w>(&'w mut dyn Write);

impl Output for Writer<'_> {
    fn write(&mut self, seg: &str) -> std::io::Result<()> {
        self.0.write_all(seg.as_bytes())
    }
}

/// `{{#each}}`: a streamed list item by item, anything else as Handlebars does it.
///
/// A render-local helper replaces Handlebars' `each` for the whole render, and Handlebars
/// does not export its own for a helper to fall back on: [`each_value`] is its behaviour
/// for arrays and objects, after `helpers/helper_each.rs` of handlebars 6 (MIT). The
/// snapshot tests of every template compare the output with what Handlebars' `each`
/// wrote.
struct Each<'s, 'a> {
    streams: &'s Streams<'a>,
}

impl HelperDef for Each<'_, '_> {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc HandlebarsContext,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("each", 0))?;
        let Some(template) = h.template() else {
            return Ok(());
        };
        let Some(list) = List::of_marker(param.value()) else {
            return each_value(h, r, ctx, rc, out);
        };
        let len = self.streams.plans(list).len();
        rc.push_block(BlockContext::new());
        for i in 0..len {
            let item = self
                .streams
                .item(list, i)
                .map_err(RenderErrorReason::Other)?;
            if let Some(block) = rc.block_mut() {
                let at = Position::Value(i, len);
                enter(block, h, at, Value::from(i), &item)?;
            }
            template.render(r, ctx, rc, out)?;
        }
        rc.pop_block();
        Ok(())
    }
}

/// Where an item of `{{#each}}` is.
#[derive(Clone, Copy)]
enum Position<'p> {
    /// Item `i` of `len` of a list at this path of the context.
    Path(&'p [String], usize, usize),
    /// Entry `i` of `len` of an object at this path: `@key` is set too.
    KeyAt(&'p [String], usize, usize),
    /// Item `i` of `len` of a list that is not in the context (a helper's value, a streamed
    /// list).
    Value(usize, usize),
    /// Entry `i` of `len` of such an object.
    KeyOf(usize, usize),
}

/// Handlebars' `{{#each}}` over an array or an object in the context.
fn each_value<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    r: &'reg Handlebars<'reg>,
    ctx: &'rc HandlebarsContext,
    rc: &mut RenderContext<'reg, 'rc>,
    out: &mut dyn Output,
) -> HelperResult {
    let Some((param, template)) = h.param(0).zip(h.template()) else {
        return Ok(());
    };
    let entries: Vec<(Value, &Value)> = match param.value() {
        Value::Array(list) if !list.is_empty() || h.inverse().is_none() => list
            .iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i), v))
            .collect(),
        Value::Object(map) if !map.is_empty() || h.inverse().is_none() => map
            .iter()
            .map(|(k, v)| (Value::String(k.clone()), v))
            .collect(),
        _ => {
            return match h.inverse() {
                Some(inverse) => inverse.render(r, ctx, rc, out),
                None if r.strict_mode() => Err(RenderError::strict_error(param.relative_path())),
                None => Ok(()),
            };
        }
    };
    let is_object = param.value().is_object();
    let path = param.context_path();
    let mut block = BlockContext::new();
    match path {
        Some(path) => block.base_path_mut().clone_from(path),
        None => block.set_base_value(param.value().clone()),
    }
    rc.push_block(block);
    let len = entries.len();
    for (i, (key, value)) in entries.into_iter().enumerate() {
        let at = match (path, is_object) {
            (Some(path), false) => Position::Path(path, i, len),
            (Some(path), true) => Position::KeyAt(path, i, len),
            (None, false) => Position::Value(i, len),
            (None, true) => Position::KeyOf(i, len),
        };
        if let Some(block) = rc.block_mut() {
            enter(block, h, at, key, value)?;
        }
        template.render(r, ctx, rc, out)?;
    }
    rc.pop_block();
    Ok(())
}

/// Makes the block the item at `at`, whose key (index or name) is `key`: its `@first`,
/// `@last`, `@index` (and `@key`), what `this` is, and the block parameters.
fn enter<'rc>(
    block: &mut BlockContext<'rc>,
    h: &Helper<'rc>,
    at: Position,
    key: Value,
    value: &Value,
) -> Result<(), RenderError> {
    let (path, i, len, keyed) = match at {
        Position::Path(path, i, len) => (Some(path), i, len, false),
        Position::KeyAt(path, i, len) => (Some(path), i, len, true),
        Position::Value(i, len) => (None, i, len, false),
        Position::KeyOf(i, len) => (None, i, len, true),
    };
    block.set_local_var("first", Value::Bool(i == 0));
    block.set_local_var("last", Value::Bool(i + 1 == len));
    block.set_local_var("index", Value::from(i));
    if keyed {
        block.set_local_var("key", key.clone());
    }
    match path {
        Some(path) => {
            let segment = match &key {
                Value::String(k) => k.clone(),
                other => other.to_string(),
            };
            let mut nested = path.to_vec();
            nested.push(segment);
            *block.base_path_mut() = nested;
        }
        None => block.set_base_value(value.clone()),
    }
    let mut params = BlockParams::new();
    let item = |params: &mut BlockParams<'rc>, name| match path {
        // A path relative to the item where the list is in the context.
        Some(_) => params.add_path(name, Vec::new()),
        None => params.add_value(name, value.clone()),
    };
    if let Some(name) = h.block_param() {
        item(&mut params, name)?;
        block.set_block_params(params);
    } else if let Some((name, key_name)) = h.block_param_pair() {
        item(&mut params, name)?;
        params.add_value(key_name, key)?;
        block.set_block_params(params);
    }
    Ok(())
}

/// Windows text as it is written: a UTF-8 byte order mark first, then every line ending as
/// CRLF (a lone LF becomes CRLF; a CR already before the LF stays one CR), the same bytes as
/// [`super::windows_text`] gives for the whole text.
pub struct WindowsText<W: Write> {
    inner: W,
    /// The last byte written was a CR.
    after_cr: bool,
}

impl<W: Write> WindowsText<W> {
    pub fn new(mut inner: W) -> std::io::Result<WindowsText<W>> {
        inner.write_all(b"\xEF\xBB\xBF")?;
        Ok(WindowsText {
            inner,
            after_cr: false,
        })
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for WindowsText<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(at);
            self.inner.write_all(line)?;
            let cr_before = line.last().map_or(self.after_cr, |&b| b == b'\r');
            self.inner
                .write_all(if cr_before { b"\n" } else { b"\r\n" })?;
            self.after_cr = false;
            rest = &after[1..];
        }
        self.inner.write_all(rest)?;
        if let Some(&last) = rest.last() {
            self.after_cr = last == b'\r';
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This module's `each` over values in the context writes what Handlebars' own does.
    #[test]
    fn each_over_the_context_is_handlebars_each() {
        let template = "{{#each list}}[{{@index}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}} \
                        {{this.n}} {{../title}}{{#each this.tags}}<{{@index}}{{this}}{{../n}}>{{/each}}]{{/each}}\
                        {{#each map}}({{@key}}={{this}} {{@index}}){{/each}}\
                        {{#each list as |item i|}}{{i}}:{{item.n}};{{/each}}\
                        {{#each map as |v k|}}{{k}}-{{v}};{{/each}}\
                        {{#each empty}}x{{else}}none{{/each}}{{#each map}}{{else}}no{{/each}}";
        let data = serde_json::json!({
            "title": "T",
            "list": [{"n": 1, "tags": ["a", "b"]}, {"n": 2, "tags": []}, {"n": 3, "tags": ["c"]}],
            "map": {"x": 1, "y": 2},
            "empty": [],
        });
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_template_string("t", template).unwrap();
        let context = HandlebarsContext::from(data);
        let theirs = registry.render_with_context("t", &context).unwrap();
        let mut ours = Vec::new();
        Streams::none()
            .render(&registry, "t", &context, &mut ours)
            .unwrap();
        assert_eq!(String::from_utf8(ours).unwrap(), theirs);
        assert!(theirs.contains("[0F 1 T<0a1><1b1>]"), "{theirs}");
    }

    /// In strict mode a missing list is an error in both.
    #[test]
    fn each_over_a_missing_list_is_an_error() {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry
            .register_template_string("t", "{{#each nothing}}x{{/each}}")
            .unwrap();
        let context = HandlebarsContext::from(serde_json::json!({}));
        assert!(registry.render_with_context("t", &context).is_err());
        let mut ours = Vec::new();
        assert!(Streams::none()
            .render(&registry, "t", &context, &mut ours)
            .is_err());
    }

    fn through_writer(pieces: &[&str]) -> Vec<u8> {
        let mut w = WindowsText::new(Vec::new()).unwrap();
        for piece in pieces {
            w.write_all(piece.as_bytes()).unwrap();
        }
        w.into_inner()
    }

    #[test]
    fn windows_text_as_a_stream_is_windows_text_whole() {
        for text in [
            "a\nb\r\nc",
            "",
            "\n\n",
            "x\r",
            "a\r\r\nb\rc\n",
            "ends with CR\r",
        ] {
            let whole = super::super::windows_text(text);
            assert_eq!(through_writer(&[text]), whole, "{text:?}");
            // Split at every byte, so that a CR and its LF arrive in separate writes.
            let pieces: Vec<String> = text.chars().map(String::from).collect();
            let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
            assert_eq!(through_writer(&pieces), whole, "{text:?} piece by piece");
        }
    }
}
