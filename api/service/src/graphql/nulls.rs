//! Field errors as the GraphQL spec handles them ("Handling Field Errors"): the
//! engine leaves an errored field out of its object (and an object whose every
//! field errored becomes null), where the spec has the field present and `null`,
//! and a `null` in a non-null position propagating to the nearest nullable parent.
//! Apollo Client warns "Missing field" and drops cache writes on the former; Relay
//! reads it as missing data. [`complete`] puts each errored field back as `null` and
//! propagates it, walking the schema's types along each error's path.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, PathSegment, Response, Value};

/// Response keys (aliases or names) to the field names they may stand for.
struct Keys(HashMap<String, Vec<String>>);

impl Keys {
    fn of(document: &ExecutableDocument) -> Keys {
        fn walk(set: &SelectionSet, keys: &mut HashMap<String, Vec<String>>) {
            for item in &set.items {
                match &item.node {
                    Selection::Field(field) => {
                        let name = field.node.name.node.to_string();
                        let key =
                            field.node.alias.as_ref().map_or_else(|| name.clone(), |a| a.node.to_string());
                        let names = keys.entry(key).or_default();
                        if !names.contains(&name) {
                            names.push(name);
                        }
                        walk(&field.node.selection_set.node, keys);
                    }
                    Selection::InlineFragment(inline) => walk(&inline.node.selection_set.node, keys),
                    Selection::FragmentSpread(_) => {}
                }
            }
        }
        let mut keys = HashMap::new();
        for (_, operation) in document.operations.iter() {
            walk(&operation.node.selection_set.node, &mut keys);
        }
        for fragment in document.fragments.values() {
            walk(&fragment.node.selection_set.node, &mut keys);
        }
        Keys(keys)
    }

    /// The type (as a type reference, `[Foo!]!`) of response key `key` on `parent`.
    fn field_type<'r>(&self, registry: &'r Registry, parent: &str, key: &str) -> Option<&'r str> {
        let fields = match registry.types.get(parent)? {
            MetaType::Object { fields, .. } | MetaType::Interface { fields, .. } => fields,
            _ => return None,
        };
        let fallback = [key.to_owned()];
        let names = self.0.get(key).map_or(&fallback[..], Vec::as_slice);
        names.iter().find_map(|name| fields.get(name)).map(|field| field.ty.as_str())
    }
}

/// One step of an error's path, with the type of the value found there.
struct Step {
    segment: PathSegment,
    /// The type reference of the value at this step (`[RateRow!]!`, `Student`).
    ty: String,
}

/// Puts every errored field of `response` back as `null`, and propagates nulls out
/// of non-null positions, for `document`'s operation of `kind`.
pub fn complete(
    response: &mut Response,
    document: &ExecutableDocument,
    kind: OperationType,
    registry: &Registry,
) {
    let root = match kind {
        OperationType::Query => Some(registry.query_type.as_str()),
        OperationType::Mutation => registry.mutation_type.as_deref(),
        OperationType::Subscription => registry.subscription_type.as_deref(),
    };
    let Some(root) = root else { return };
    let keys = Keys::of(document);
    let paths: Vec<Vec<PathSegment>> = response
        .errors
        .iter()
        .filter(|error| !error.path.is_empty())
        .map(|error| error.path.clone())
        .collect();
    if paths.is_empty() {
        return;
    }
    // The engine may have made the whole data null when every root field errored.
    if response.data == Value::Null {
        response.data = Value::Object(Default::default());
    }
    // Shallowest landing first: a null that lands higher covers the errors below it.
    let mut landings: Vec<Vec<Step>> = paths
        .iter()
        .filter_map(|path| typed(path, root, &keys, registry))
        .map(|mut steps| {
            steps.truncate(landing(&steps));
            steps
        })
        .collect();
    landings.sort_by_key(Vec::len);
    let mut landed: Vec<Vec<PathSegment>> = Vec::new();
    for steps in landings {
        let path: Vec<PathSegment> = steps.iter().map(|step| step.segment.clone()).collect();
        if landed.iter().any(|done| path.starts_with(done)) {
            continue;
        }
        put_null(&mut response.data, &steps);
        landed.push(path);
    }
}

/// How many steps down an error's null lands: the deepest step that may be null
/// (0: the whole data).
fn landing(steps: &[Step]) -> usize {
    let mut depth = steps.len();
    while depth > 0 && is_non_null(&steps[depth - 1].ty) {
        depth -= 1;
    }
    depth
}

/// The steps of `path` with their types, from the root type `root`; `None` when
/// the path leaves the schema (an error of the engine's own making).
fn typed(path: &[PathSegment], root: &str, keys: &Keys, registry: &Registry) -> Option<Vec<Step>> {
    let mut steps = Vec::with_capacity(path.len());
    let mut current = format!("{root}!");
    for segment in path {
        let ty = match segment {
            PathSegment::Field(key) => {
                let named = MetaTypeName::concrete_typename(&current);
                keys.field_type(registry, named, key)?.to_owned()
            }
            PathSegment::Index(_) => match MetaTypeName::create(&current) {
                MetaTypeName::List(inner) => inner.to_owned(),
                MetaTypeName::NonNull(inner) => match MetaTypeName::create(inner) {
                    MetaTypeName::List(inner) => inner.to_owned(),
                    _ => return None,
                },
                MetaTypeName::Named(_) => return None,
            },
        };
        steps.push(Step { segment: segment.clone(), ty: ty.clone() });
        current = ty;
    }
    Some(steps)
}

/// Sets the value at the end of `steps` (a landing) to null, creating the objects
/// the engine dropped on the way; no steps: the whole data.
fn put_null(data: &mut Value, steps: &[Step]) {
    if steps.is_empty() {
        *data = Value::Null;
        return;
    }
    let mut value = data;
    for (at, step) in steps.iter().enumerate() {
        let last = at + 1 == steps.len();
        match &step.segment {
            PathSegment::Field(key) => {
                if *value == Value::Null {
                    // An object whose fields all errored: the engine made it null.
                    *value = Value::Object(Default::default());
                }
                let Value::Object(object) = value else { return };
                let slot = object.entry(Name::new(key)).or_insert(Value::Null);
                if last {
                    *slot = Value::Null;
                    return;
                }
                value = slot;
            }
            PathSegment::Index(index) => {
                let Value::List(items) = value else { return };
                let Some(slot) = items.get_mut(*index) else { return };
                if last {
                    *slot = Value::Null;
                    return;
                }
                value = slot;
            }
        }
    }
}

fn is_non_null(ty: &str) -> bool {
    MetaTypeName::create(ty).is_non_null()
}
