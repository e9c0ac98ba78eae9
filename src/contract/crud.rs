//! Stories over the CRUD resources the mock infers for a document
//! ([`crate::world::behaviours::crud::infer`]): create (under freshly created parents, for a nested
//! collection), read, replace and patch where declared, read again, delete, read once more,
//! every step under the parents the first create was sent (the same `{owner}` and `{repo}`).
//! Only resources whose items can be read one by one get a story: the reads are what it checks.

use crate::conformance::checks::Check;
use crate::operation::api::Api;
use crate::operation::params::ParamIn;
use crate::world::behaviours::crud::infer::{self, Inferred, OpPlan, Role};

use super::expect::Expect;
use super::expr::{Expr, Source};
use super::stories::{Bind, Step, StoryPlan};

/// The stories of `api`'s inferred resources (`api_index` in the engine).
pub(crate) fn plans(api: &Api, api_index: usize) -> Vec<StoryPlan> {
    let inferred = infer::infer(api);
    (0..inferred.resources.len())
        .filter_map(|r| story(api, api_index, &inferred, r))
        .collect()
}

/// The operation playing `role` for resource `r`, with its index.
fn op_of<'i>(
    api: &Api,
    inferred: &'i Inferred,
    r: usize,
    role: Role,
) -> Option<(usize, &'i OpPlan)> {
    let plan = inferred
        .ops
        .values()
        .find(|p| p.resource == r && p.role == role)?;
    let index = api.operations.iter().position(|o| *o.id == *plan.op_id)?;
    Some((index, plan))
}

fn story(api: &Api, api_index: usize, inferred: &Inferred, r: usize) -> Option<StoryPlan> {
    let (read, read_plan) = op_of(api, inferred, r, Role::Read)?;
    // The resource and its ancestors, outermost first: each is created under the one before.
    let mut chain = vec![r];
    while let Some(parent) = chain.last().and_then(|c| inferred.resources[*c].parent) {
        if chain.contains(&parent) {
            return None;
        }
        chain.push(parent);
    }
    chain.reverse();
    let mut steps = Vec::new();
    let mut created = Vec::new();
    // The story's first create: every later step is sent under the parents it was sent under.
    let mut first: Option<(usize, &OpPlan)> = None;
    for &c in &chain {
        let (create, plan) = op_of(api, inferred, c, Role::Create)?;
        steps.push(Step {
            pins: parents(plan, first, &created),
            why: format!(
                "{} is sent a valid request to create one",
                api.operations[create].id
            ),
            ..Step::new(create, Expect::Success, None)
        });
        created.push(steps.len() - 1);
        first = first.or(Some((steps.len() - 1, plan)));
    }
    let create_step = *created.last()?;
    let made = format!(
        "step {} ({}) created it",
        create_step + 1,
        api.operations[steps[create_step].op].id
    );
    let item = |op: usize, plan: &OpPlan, expect: Expect, check: Check, why: &str| {
        let mut pins = parents(plan, first, &created[..created.len() - 1]);
        if let Some(id) = &plan.id_param {
            pins.push((
                ParamIn::Path,
                id.clone(),
                Bind::Created { step: create_step },
            ));
        }
        Step {
            pins,
            why: why.to_owned(),
            ..Step::new(op, expect, Some(check))
        }
    };
    let era = Check::EnsureResourceAvailability;
    steps.push(item(read, read_plan, Expect::Found, era, &made));
    let mut changed = false;
    for role in [Role::Replace, Role::Patch] {
        if let Some((op, plan)) = op_of(api, inferred, r, role) {
            steps.push(item(op, plan, Expect::Found, era, &made));
            changed = true;
        }
    }
    if changed {
        let why = format!("{made}, and it was only changed since");
        steps.push(item(read, read_plan, Expect::Found, era, &why));
    }
    if let Some((delete, plan)) = op_of(api, inferred, r, Role::Delete) {
        steps.push(item(delete, plan, Expect::Success, era, &made));
        let why = format!(
            "step {} ({}) deleted it",
            steps.len(),
            api.operations[delete].id
        );
        steps.push(item(
            read,
            read_plan,
            Expect::Gone,
            Check::UseAfterFree,
            &why,
        ));
    }
    Some(StoryPlan {
        name: format!("crud-{}", api.operations[steps[create_step].op].id),
        api: api_index,
        steps,
    })
}

/// The parent path parameters of an operation: the innermost ones are the ids the earlier
/// creates made (`created`, outermost first), the ones before them what the story's first
/// create was sent (`first`: its step and plan), so that every step works under the same
/// parents (`/repos/{owner}/{repo}/hooks`: the hook read is the hook made, under the same repo).
fn parents(
    plan: &OpPlan,
    first: Option<(usize, &OpPlan)>,
    created: &[usize],
) -> Vec<(ParamIn, String, Bind)> {
    let n = plan.parents.len();
    let outer = n - created.len().min(n);
    let mut pins = Vec::new();
    for (i, name) in plan.parents.iter().enumerate() {
        let bind = if i >= outer {
            Bind::Created {
                step: created[i - outer],
            }
        } else if let Some((step, sent)) = first
            && let Some(same) = sent.parents.get(i)
        {
            Bind::Expr {
                step,
                expr: Expr::Request(Source::Path(same.clone())),
            }
        } else {
            continue;
        };
        pins.push((ParamIn::Path, name.clone(), bind));
    }
    pins
}
