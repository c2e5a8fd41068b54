//! Finding what a write made when Luna Node said `success` without the new resource's id
//! (reference §2.1: the envelope decides, so it is done): re-list and pick it out.

use super::authz::{Grant, Permission, Target};
use super::lunanode::Action;

/// The newest of `ids`: the largest where they are numbers (keys, images and floating
/// IPs have growing numeric ids, CONFIRMED), else the last listed.
pub fn newest<'a>(ids: impl Iterator<Item = &'a str>) -> Option<String> {
    ids.max_by(|a, b| id_order(a, b)).map(str::to_owned)
}

/// Numeric ids by value; anything else counts as equal (so `max_by` keeps the last).
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => std::cmp::Ordering::Equal,
    }
}

/// A write said `success` without the new resource's id (reference §2.1: the envelope
/// decides, so it is done): re-lists with `path`/`req` and `pick`s the new resource's id
/// from the answer. `None` (logged) when the list cannot be read or does not show it yet.
pub async fn find_made<P: Permission, A: Action + 'static>(
    g: &Grant<P>,
    req: &A,
    kind: &str,
    name: &str,
    pick: impl FnOnce(&A::Response) -> Option<String>,
) -> Option<String> {
    let listed = async {
        let list = g.also::<A>(Target::Account).await?;
        list.call(req, "The list").await
    };
    let why = match listed.await {
        Ok(answer) => match pick(&answer) {
            found @ Some(_) => return found,
            None => "not in the list".to_owned(),
        },
        Err(e) => e.to_string(),
    };
    tracing::warn!(
        kind,
        name,
        why,
        "Luna Node made a resource without naming its id, and a re-list did not find it"
    );
    None
}
