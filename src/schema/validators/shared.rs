//! The compiled targets of a view's shared references, and the keyword that reaches them.
//!
//! A view writes each `$ref` it can share as [`SHARED_REF`] with its target's number (see
//! `document::normalize`). Each target is compiled once, into a slot of one [`Shared`] table
//! per view, and the keyword validates against the slot: the thousand references to one
//! component share one compiled form.
//!
//! Validators own their keywords, and a table owns validators that reach each other (a
//! component that contains itself), so a keyword holding the table would make a circle that
//! is never freed. The keyword holds the target's number only, and finds the table in the
//! thread that validates: every validation starts in [`enter`], which makes its table the
//! thread's. That costs a pointer comparison per validation, where a counted reference per
//! `$ref` crossed would cost two atomic operations each, contended between threads.
//!
//! [`SHARED_REF`]: crate::document::normalize::SHARED_REF

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError, Validator};
use serde_json::{Map, Value};

use crate::document::normalize::SHARED_REF;

/// The compiled targets of one view, by number. A slot is filled once, at load, before any
/// validator that reaches it is handed out.
#[derive(Debug)]
pub struct Shared {
    slots: Box<[OnceLock<Validator>]>,
}

impl Shared {
    pub fn new(targets: usize) -> Self {
        Self {
            slots: (0..targets).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The compiled target `number`, once it is compiled.
    pub fn get(&self, number: u32) -> Option<&Validator> {
        self.slots.get(number as usize)?.get()
    }

    /// Fills slot `number`. A slot already filled, or a number past the end, keeps what it
    /// has: the compiler fills each once.
    pub fn fill(&self, number: u32, validator: Validator) {
        if let Some(slot) = self.slots.get(number as usize) {
            let _ = slot.set(validator);
        }
    }
}

thread_local! {
    /// The table of the validation running on this thread.
    static CURRENT: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// The shared references being validated on this thread, each with the address of the
    /// value it validates: a reference met again on the same value (`A: {allOf: [{$ref:
    /// A}]}`) is a cycle that makes no progress.
    static ENTERED: RefCell<Vec<(u32, usize)>> = const { RefCell::new(Vec::new()) };
}

/// Makes `shared` the table of this thread's validations. Called before every validation
/// by a validator whose keywords number targets in `shared`; the table stays until another
/// one is entered, so the usual case (one document) costs no reference counting.
pub fn enter(shared: &Arc<Shared>) {
    CURRENT.with(|current| {
        let same = current
            .try_borrow()
            .is_ok_and(|c| c.as_ref().is_some_and(|c| Arc::ptr_eq(c, shared)));
        if !same && let Ok(mut c) = current.try_borrow_mut() {
            *c = Some(shared.clone());
        }
    });
}

/// A shared reference: valid where the target in slot `number` is.
pub struct SharedRef {
    number: u32,
}

impl SharedRef {
    /// The keyword's factory: the value is the target's number in its view, `slots` the
    /// slot of each number, and `reached` collects the slots met, to be compiled.
    #[allow(clippy::type_complexity)]
    pub fn factory(
        slots: Arc<[u32]>,
        reached: Arc<Mutex<Vec<u32>>>,
    ) -> impl for<'a> Fn(
        &'a Map<String, Value>,
        &'a Value,
        Location,
    ) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>>
    + Send
    + Sync
    + 'static {
        move |_, value, _| {
            // The views write numbers only; anything else is the document's own extension
            // of the same name (an object the views leave, as it may be a property's
            // schema), which holds as every `x-` keyword does.
            let Some(number) = value
                .as_u64()
                .and_then(|n| slots.get(usize::try_from(n).ok()?))
                .copied()
            else {
                return Ok(Box::new(Extension));
            };
            if let Ok(mut reached) = reached.lock() {
                reached.push(number);
            }
            Ok(Box::new(SharedRef { number }))
        }
    }
}

/// A document's own keyword of the shared references' name: an annotation.
struct Extension;

impl<'i> Keyword<'i> for Extension {
    fn validate(&self, _: &'i Value) -> Result<(), ValidationError<'i>> {
        Ok(())
    }

    fn is_valid(&self, _: &'i Value) -> bool {
        true
    }
}

/// The number a failed shared reference names, from the error it raised.
pub fn failed_number(kind: &ValidationErrorKind) -> Option<u32> {
    match kind {
        ValidationErrorKind::Custom { keyword, message } if keyword == SHARED_REF => {
            message.parse().ok()
        }
        _ => None,
    }
}

impl<'i> Keyword<'i> for SharedRef {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if Keyword::is_valid(self, instance) {
            Ok(())
        } else {
            Err(ValidationError::custom(self.number.to_string()))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        // A cycle without progress holds, as a `$ref` cycle does in jsonschema: what the
        // other keywords on the way say decides.
        let key = (self.number, std::ptr::from_ref(instance) as usize);
        let entered = ENTERED.with(|entered| {
            entered.try_borrow_mut().is_ok_and(|mut e| {
                if e.contains(&key) {
                    return false;
                }
                e.push(key);
                true
            })
        });
        if !entered {
            return true;
        }
        let _leave = Leave;
        self.target_is_valid(instance)
    }
}

/// Takes the innermost reference off [`ENTERED`] when its validation ends, however it ends.
struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        ENTERED.with(|entered| {
            if let Ok(mut e) = entered.try_borrow_mut() {
                e.pop();
            }
        });
    }
}

impl SharedRef {
    fn target_is_valid(&self, instance: &Value) -> bool {
        CURRENT.with(|current| {
            current.try_borrow().is_ok_and(|c| {
                c.as_ref()
                    .and_then(|shared| shared.get(self.number))
                    .is_some_and(|target| target.is_valid(instance))
            })
        })
    }
}
