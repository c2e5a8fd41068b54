//! `script/*` (reference §11, CONFIRMED shapes): `list` answers an array under `scripts`,
//! `get` the script's fields at the top level, `create` the new `script_id`; content is
//! stored with `\r\n` line endings, as the service returns it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};

/// Largest content accepted, in bytes. INFERRED: scripts become OpenStack user data, which
/// Nova caps at 64 KiB; the service's own limit and wording are UNKNOWN.
pub const MAX_CONTENT: usize = 65_535;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Script {
    pub id: u64,
    pub name: String,
    /// Always `\r\n` line endings.
    pub content: String,
}

/// This category's part of an account: its startup scripts by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub scripts: BTreeMap<u64, Script>,
}

impl State {
    /// Whether `id` (as sent, e.g. in `vm/create`'s `scripts`) names one of the scripts.
    pub fn contains(&self, id: &str) -> bool {
        id.trim()
            .parse::<u64>()
            .is_ok_and(|id| self.scripts.contains_key(&id))
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let p = ctx.p;
    Some(match action {
        "list" => Ok(ok(obj([(
            "scripts",
            Value::Array(
                ctx.account
                    .scripts
                    .scripts
                    .values()
                    .map(|script| Value::Object(fields(script)))
                    .collect(),
            ),
        )]))),
        // Fields at the top level, not wrapped (CONFIRMED).
        "get" => find(&ctx.account.scripts, p).map(|script| ok(fields(script))),
        "create" => create(ctx),
        "update" => update(ctx),
        "delete" => p.req("script_id").and_then(|id| {
            id.trim()
                .parse::<u64>()
                .ok()
                .and_then(|id| ctx.account.scripts.scripts.remove(&id))
                .map(|_| done())
                .ok_or_else(|| "invalid script".to_owned())
        }),
        _ => return None,
    })
}

fn fields(script: &Script) -> Map<String, Value> {
    obj([
        ("id", s(script.id)),
        ("name", s(&script.name)),
        ("content", s(&script.content)),
    ])
}

fn find<'a>(state: &'a State, p: &Params) -> Result<&'a Script, String> {
    let id = p.req("script_id")?;
    id.trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| state.scripts.get(&id))
        .ok_or_else(|| "invalid script".to_owned())
}

/// The name and content of `create`/`update`, checked and normalised.
fn name_and_content(p: &Params) -> Result<(String, String), String> {
    let name = p.req("name")?.trim().to_owned();
    let content = crlf(p.req("content")?);
    if content.len() > MAX_CONTENT {
        return Err(format!(
            "script content is too long (at most {MAX_CONTENT} bytes)"
        ));
    }
    Ok((name, content))
}

fn create(ctx: &mut Ctx<'_>) -> Outcome {
    let (name, content) = name_and_content(ctx.p)?;
    let id = ctx.account.next_id();
    ctx.account
        .scripts
        .scripts
        .insert(id, Script { id, name, content });
    Ok(ok(obj([("script_id", s(id))])))
}

fn update(ctx: &mut Ctx<'_>) -> Outcome {
    let id = find(&ctx.account.scripts, ctx.p)?.id;
    let (name, content) = name_and_content(ctx.p)?;
    if let Some(script) = ctx.account.scripts.scripts.get_mut(&id) {
        script.name = name;
        script.content = content;
    }
    Ok(done())
}

/// Every line ending (`\n`, `\r\n`, lone `\r`) as `\r\n` (CONFIRMED storage form).
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::crlf;

    #[test]
    fn line_endings_become_crlf() {
        assert_eq!(crlf("a\nb\r\nc\rd\n"), "a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(crlf("é — ok"), "é — ok");
    }
}
