//! The request limits of docs/api.md "Request limits", in one async-graphql extension that every
//! transport passes through: an HTTP request, each operation of a batch, and every
//! query, mutation and subscription over the websocket.
//!
//! The order matters. The query text is measured before the parser sees it: its size,
//! and how deeply `{ [ (` nest outside strings and comments, because the parser
//! recurses once per level and a few kilobytes of brackets would overflow its stack.
//! Once parsed (here, not by the engine: see [`Extension::parse_query`] below), the
//! document is measured before the engine's validation, whose visitors follow
//! fragment spreads without memory (a cycle never ends, a fan-out grows
//! exponentially): aliases, depth (introspection fields excluded, so the
//! standard introspection query passes), the number of fields once fragments are
//! expanded, fragment cycles, introspection rights and control characters in any
//! argument or variable. Complexity comes from the engine's validation. Execution
//! runs under the request's [`Deadline`], which a batch shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, Name, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use async_graphql_value::{ConstValue, Value};
use futures_util::stream::{BoxStream, StreamExt};

use super::error::{Code, ensure_codes};
use super::scan;
use crate::auth::Viewer;
use store::records::Role;
use store::text::{control_message, refused_control};

/// Deepest selection a query may nest (introspection fields not counted).
pub const MAX_DEPTH: usize = 10;
/// Most work a query may ask for; a connection counts `first` × its children.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Most aliases in one query.
pub const MAX_ALIASES: usize = 15;
/// Longest query text.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Deepest nesting of brackets in the query text, and of selection sets and
/// fragment spreads in the parsed document. The standard introspection query
/// nests 14 deep; the parser's stack gives out above a thousand.
pub const MAX_NESTING: usize = 32;
/// Most fields a query may hold once its fragments are expanded: what the engine's
/// validation walks. Above the complexity limit, so that limit speaks first.
pub const MAX_FIELDS: usize = 2 * MAX_COMPLEXITY;
/// Largest request body (refused with 413 before parsing).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most operations in one batch.
pub const MAX_BATCH: usize = 10;
/// Longest a request (a batch as a whole) or one event of a subscription may run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// When a request must have been answered: every operation of a batch shares one.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub tokio::time::Instant);

impl Deadline {
    /// [`REQUEST_TIMEOUT`] from now.
    pub fn from_now() -> Deadline {
        Deadline(tokio::time::Instant::now() + REQUEST_TIMEOUT)
    }
}

/// A bound of docs/api.md "Request limits".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Bytes of query text.
    QueryBytes,
    /// Bytes of request body.
    BodyBytes,
    /// Nesting of brackets, selection sets and fragment spreads.
    Nesting,
    /// Depth of selections.
    Depth,
    /// The engine's complexity.
    Complexity,
    /// Aliases.
    Aliases,
    /// Fields once fragments are expanded.
    Fields,
    /// Operations in a batch.
    Batch,
    /// Seconds a request may run.
    Timeout,
    /// Operations running at once on one websocket.
    Operations,
}

impl Limit {
    /// The name clients read in `extensions.limit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::QueryBytes => "QUERY_BYTES",
            Limit::BodyBytes => "BODY_BYTES",
            Limit::Nesting => "NESTING",
            Limit::Depth => "DEPTH",
            Limit::Complexity => "COMPLEXITY",
            Limit::Aliases => "ALIASES",
            Limit::Fields => "FIELDS",
            Limit::Batch => "BATCH",
            Limit::Timeout => "TIMEOUT_SECONDS",
            Limit::Operations => "OPERATIONS",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Limit::QueryBytes => "bytes of query text",
            Limit::BodyBytes => "bytes of request body",
            Limit::Nesting => "levels of nesting",
            Limit::Depth => "levels of selection depth",
            Limit::Complexity => "points of complexity",
            Limit::Aliases => "aliases",
            Limit::Fields => "fields once fragments are expanded",
            Limit::Batch => "operations in a batch",
            Limit::Timeout => "seconds of running time",
            Limit::Operations => "operations running on this connection",
        }
    }
}

/// A request over a limit: which, the most allowed, and what was found (at least
/// that much: scans stop early where counting on costs work).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exceeded {
    /// Which limit.
    pub limit: Limit,
    /// The most allowed.
    pub max: usize,
    /// What the request has.
    pub found: usize,
}

impl Exceeded {
    /// Safe to show: the limit and the value found.
    pub fn message(&self) -> String {
        match self.limit {
            Limit::Timeout => format!("the request ran longer than {} s", self.max),
            limit => format!("{} {} found; at most {} are accepted", self.found, limit.what(), self.max),
        }
    }

    /// The error, with `extensions {code, limit, max, found}`; a running time is not
    /// the client's input, so a timeout is INTERNAL.
    pub fn to_server_error(&self) -> ServerError {
        let code = if self.limit == Limit::Timeout { Code::Internal } else { Code::BadUserInput };
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", code.as_str());
        extensions.set("limit", self.limit.as_str());
        extensions.set("max", self.max as u64);
        extensions.set("found", self.found as u64);
        if !matches!(self.limit, Limit::Timeout | Limit::Batch | Limit::BodyBytes | Limit::Operations) {
            extensions.set("field", "query");
        }
        let mut error = ServerError::new(self.message(), None);
        error.extensions = Some(extensions);
        error
    }
}

/// The extension's factory: `demo` opens introspection to everyone.
pub struct Limits {
    /// `serve --demo`.
    pub demo: bool,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Checks { demo: self.demo, document: Arc::new(Mutex::new(None)) })
    }
}

/// One request's checks (the engine makes a fresh one per request).
struct Checks {
    demo: bool,
    /// The request's document, kept to put errored fields back as null.
    document: Arc<Mutex<Option<ExecutableDocument>>>,
}

impl Checks {
    /// Errored fields back as `null` ([`super::nulls`]), for the operation of `kind`.
    fn complete(
        &self,
        ctx: &ExtensionContext<'_>,
        response: &mut Response,
        kind: impl Fn(&ExecutableDocument) -> Option<OperationType>,
    ) {
        if response.errors.is_empty() {
            return;
        }
        let Ok(guard) = self.document.lock() else { return };
        if let Some(document) = guard.as_ref()
            && let Some(kind) = kind(document)
        {
            super::nulls::complete(response, document, kind, &ctx.schema_env.registry);
        }
    }
}

impl Checks {
    fn privileged(&self, ctx: &ExtensionContext<'_>) -> bool {
        self.demo || ctx.data_opt::<Viewer>().is_some_and(|viewer| viewer.role == Role::Admin)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Checks {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        ensure_codes(&mut response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        // The stream parses its document when first polled: read it per event.
        let (document, env) = (self.document.clone(), ctx.schema_env.clone());
        next.run(ctx, stream)
            .map(move |mut response| {
                ensure_codes(&mut response);
                if let Ok(guard) = document.lock()
                    && let Some(document) = guard.as_ref()
                    && operation_kind(document, None) == Some(OperationType::Subscription)
                {
                    super::nulls::complete(
                        &mut response,
                        document,
                        OperationType::Subscription,
                        &env.registry,
                    );
                }
                response
            })
            .boxed()
    }

    /// Parses here instead of passing on to the engine's parse step, whose own
    /// recursion check follows every fragment spread without memory (a fan-out of
    /// spreads costs it exponential time before any limit of ours could speak).
    /// [`check_document`] bounds the same recursion, memoized.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        _next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        check_text(query).map_err(|exceeded| exceeded.to_server_error())?;
        if let Some(repeated) = scan::repeated_input_field(query) {
            let message = format!("there can be only one input field named \"{}\"", repeated.field);
            let mut error = coded(Code::BadUserInput, message, None);
            error.locations = vec![async_graphql::Pos { line: repeated.line, column: repeated.column }];
            return Err(error);
        }
        let document = async_graphql::parser::parse_query(query).map_err(ServerError::from)?;
        check_document(&document, self.privileged(ctx))?;
        check_controls(&document, variables)?;
        if let Ok(mut kept) = self.document.lock() {
            *kept = Some(document.clone());
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.complexity > MAX_COMPLEXITY {
            let exceeded =
                Exceeded { limit: Limit::Complexity, max: MAX_COMPLEXITY, found: result.complexity };
            return Err(vec![exceeded.to_server_error()]);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let deadline = ctx.data_opt::<Deadline>().copied().unwrap_or_else(Deadline::from_now);
        match tokio::time::timeout_at(deadline.0, next.run(ctx, operation_name)).await {
            Ok(mut response) => {
                self.complete(ctx, &mut response, |document| operation_kind(document, operation_name));
                response
            }
            Err(_) => {
                tracing::warn!(operation = operation_name.unwrap_or(""), "a request ran out of time");
                let seconds = REQUEST_TIMEOUT.as_secs() as usize;
                let exceeded = Exceeded { limit: Limit::Timeout, max: seconds, found: seconds };
                Response::from_errors(vec![exceeded.to_server_error()])
            }
        }
    }
}

/// The type of the operation `name` names (or the only one).
pub(crate) fn operation_kind(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    document
        .operations
        .iter()
        .find(|(operation, _)| name.is_none() || operation.map(|n| n.as_str()) == name)
        .map(|(_, operation)| operation.node.ty)
}

/// Size and bracket nesting of the raw text, before the parser runs.
pub fn check_text(query: &str) -> Result<(), Exceeded> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(Exceeded { limit: Limit::QueryBytes, max: MAX_QUERY_BYTES, found: query.len() });
    }
    let nesting = scan::nesting(query);
    if nesting > MAX_NESTING {
        return Err(Exceeded { limit: Limit::Nesting, max: MAX_NESTING, found: nesting });
    }
    Ok(())
}

/// Aliases, introspection rights, and the shape of the expanded document.
fn check_document(document: &ExecutableDocument, privileged: bool) -> ServerResult<()> {
    let aliases = count_aliases(document);
    if aliases > MAX_ALIASES {
        return Err(Exceeded { limit: Limit::Aliases, max: MAX_ALIASES, found: aliases }.to_server_error());
    }
    if !privileged && introspects(document) {
        return Err(coded(Code::Forbidden, "introspection is open to ADMIN only".to_owned(), None));
    }
    let mut walker = Walker { document, memo: HashMap::new(), active: Vec::new() };
    let mut shape = Shape::default();
    for (_, operation) in document.operations.iter() {
        shape = shape.beside(walker.set(&operation.node.selection_set.node, 1, false)?);
    }
    if shape.depth > MAX_DEPTH {
        return Err(Exceeded { limit: Limit::Depth, max: MAX_DEPTH, found: shape.depth }.to_server_error());
    }
    if shape.fields > MAX_FIELDS {
        return Err(Exceeded { limit: Limit::Fields, max: MAX_FIELDS, found: shape.fields }.to_server_error());
    }
    Ok(())
}

fn coded(code: Code, message: String, field: Option<&str>) -> ServerError {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    if let Some(field) = field {
        extensions.set("field", field);
    }
    let mut error = ServerError::new(message, None);
    error.extensions = Some(extensions);
    error
}

/// What a selection set amounts to once its fragments are expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shape {
    /// Deepest chain of fields, introspection fields not counted.
    depth: usize,
    /// Fields in all (saturating).
    fields: usize,
    /// Deepest nesting of selection sets and spreads below.
    height: usize,
}

impl Shape {
    fn beside(self, other: Shape) -> Shape {
        Shape {
            depth: self.depth.max(other.depth),
            fields: self.fields.saturating_add(other.fields),
            height: self.height.max(other.height),
        }
    }
}

/// Expands a document's selection sets once, remembering each fragment's shape so
/// that a fragment spread many times is measured once.
struct Walker<'d> {
    document: &'d ExecutableDocument,
    memo: HashMap<(&'d str, bool), Shape>,
    active: Vec<&'d str>,
}

impl<'d> Walker<'d> {
    /// The shape of `set` at `level` (1 for an operation's); `introspection`: inside
    /// `__schema` or `__type`. Recursion is bounded by [`MAX_NESTING`].
    fn set(&mut self, set: &'d SelectionSet, level: usize, introspection: bool) -> ServerResult<Shape> {
        if level > MAX_NESTING {
            return Err(Exceeded { limit: Limit::Nesting, max: MAX_NESTING, found: level }.to_server_error());
        }
        let mut shape = Shape::default();
        for item in &set.items {
            let inner = match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let inside = introspection || matches!(name, "__schema" | "__type");
                    let below = self.set(&field.node.selection_set.node, level + 1, inside)?;
                    Shape {
                        depth: below.depth + usize::from(!inside),
                        fields: below.fields.saturating_add(1),
                        height: below.height,
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.set(&inline.node.selection_set.node, level + 1, introspection)?
                }
                Selection::FragmentSpread(spread) => {
                    self.spread(spread.node.fragment_name.node.as_str(), level + 1, introspection)?
                }
            };
            shape = shape.beside(inner);
        }
        if !set.items.is_empty() {
            shape.height += 1;
        }
        Ok(shape)
    }

    fn spread(&mut self, name: &'d str, level: usize, introspection: bool) -> ServerResult<Shape> {
        if let Some(known) = self.memo.get(&(name, introspection)) {
            if level + known.height > MAX_NESTING + 1 {
                let found = level + known.height - 1;
                return Err(Exceeded { limit: Limit::Nesting, max: MAX_NESTING, found }.to_server_error());
            }
            return Ok(*known);
        }
        if self.active.contains(&name) {
            return Err(coded(Code::BadUserInput, format!("fragment {name} spreads itself"), Some("query")));
        }
        // An unknown fragment is the validation's to report.
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Shape::default());
        };
        self.active.push(name);
        let shape = self.set(&fragment.node.selection_set.node, level, introspection);
        self.active.pop();
        let shape = shape?;
        self.memo.insert((name, introspection), shape);
        Ok(shape)
    }
}

/// Every selection set written in the document (operations and fragments, not
/// expanded), with `visit` called on each field.
fn each_field<'d>(
    document: &'d ExecutableDocument,
    visit: &mut dyn FnMut(&'d async_graphql::parser::types::Field),
) {
    fn walk<'d>(set: &'d SelectionSet, visit: &mut dyn FnMut(&'d async_graphql::parser::types::Field)) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    visit(&field.node);
                    walk(&field.node.selection_set.node, visit);
                }
                Selection::InlineFragment(inline) => walk(&inline.node.selection_set.node, visit),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    for (_, operation) in document.operations.iter() {
        walk(&operation.node.selection_set.node, visit);
    }
    for fragment in document.fragments.values() {
        walk(&fragment.node.selection_set.node, visit);
    }
}

/// Whether any operation or fragment asks for `__schema` or `__type`.
fn introspects(document: &ExecutableDocument) -> bool {
    let mut found = false;
    each_field(document, &mut |field| {
        found |= matches!(field.name.node.as_str(), "__schema" | "__type");
    });
    found
}

/// Every alias written in the document.
fn count_aliases(document: &ExecutableDocument) -> usize {
    let mut aliases = 0;
    each_field(document, &mut |field| aliases += usize::from(field.alias.is_some()));
    aliases
}

/// No argument, variable or variable default holds a refused control character;
/// the error names the input path (`input.title`, `id`), as our own checks do.
fn check_controls(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    let mut found: Option<(String, char)> = None;
    // Where each variable is first used, so its value's path reads like a literal's.
    let mut used: HashMap<&Name, String> = HashMap::new();
    each_field(document, &mut |field| {
        let directives = field.directives.iter().flat_map(|directive| &directive.node.arguments);
        for (name, value) in field.arguments.iter().chain(directives) {
            literal_controls(&value.node, name.node.to_string(), &mut used, &mut found);
        }
    });
    if found.is_none() {
        for (name, value) in variables.iter() {
            let path = used.get(name).cloned().unwrap_or_else(|| format!("${name}"));
            const_controls(value, path, &mut found);
        }
    }
    if found.is_none() {
        for (_, operation) in document.operations.iter() {
            for definition in &operation.node.variable_definitions {
                let name = &definition.node.name.node;
                if let Some(default) = &definition.node.default_value {
                    let path = used.get(name).cloned().unwrap_or_else(|| format!("${name}"));
                    const_controls(&default.node, path, &mut found);
                }
            }
        }
    }
    match found {
        None => Ok(()),
        Some((path, refused)) => Err(coded(Code::BadUserInput, control_message(refused), Some(&path))),
    }
}

fn literal_controls<'d>(
    value: &'d Value,
    path: String,
    used: &mut HashMap<&'d Name, String>,
    found: &mut Option<(String, char)>,
) {
    if found.is_some() {
        return;
    }
    match value {
        Value::Variable(name) => {
            used.entry(name).or_insert(path);
        }
        Value::String(text) => {
            if let Some(refused) = refused_control(text) {
                *found = Some((path, refused));
            }
        }
        Value::List(items) => {
            for (index, item) in items.iter().enumerate() {
                literal_controls(item, format!("{path}[{index}]"), used, found);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                literal_controls(item, format!("{path}.{key}"), used, found);
            }
        }
        Value::Null | Value::Number(_) | Value::Boolean(_) | Value::Binary(_) | Value::Enum(_) => {}
    }
}

fn const_controls(value: &ConstValue, path: String, found: &mut Option<(String, char)>) {
    if found.is_some() {
        return;
    }
    match value {
        ConstValue::String(text) => {
            if let Some(refused) = refused_control(text) {
                *found = Some((path, refused));
            }
        }
        ConstValue::List(items) => {
            for (index, item) in items.iter().enumerate() {
                const_controls(item, format!("{path}[{index}]"), found);
            }
        }
        ConstValue::Object(fields) => {
            for (key, item) in fields {
                const_controls(item, format!("{path}.{key}"), found);
            }
        }
        ConstValue::Null
        | ConstValue::Number(_)
        | ConstValue::Boolean(_)
        | ConstValue::Binary(_)
        | ConstValue::Enum(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_errors_name_the_limit_and_the_value() {
        let error = Exceeded { limit: Limit::Aliases, max: 15, found: 16 }.to_server_error();
        let extensions = error.extensions.unwrap();
        assert_eq!(extensions.get("code"), Some(&ConstValue::from("BAD_USER_INPUT")));
        assert_eq!(extensions.get("limit"), Some(&ConstValue::from("ALIASES")));
        assert_eq!(extensions.get("max"), Some(&ConstValue::from(15u64)));
        assert_eq!(extensions.get("found"), Some(&ConstValue::from(16u64)));
        assert!(error.message.contains("16") && error.message.contains("15"));
    }

    fn shape_of(query: &str) -> ServerResult<Shape> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let mut walker = Walker { document: &document, memo: HashMap::new(), active: Vec::new() };
        let mut shape = Shape::default();
        for (_, operation) in document.operations.iter() {
            shape = shape.beside(walker.set(&operation.node.selection_set.node, 1, false)?);
        }
        Ok(shape)
    }

    #[test]
    fn shapes_expand_fragments_once_and_skip_introspection_depth() {
        let shape = shape_of("{ a { b { c } } }").unwrap();
        assert_eq!((shape.depth, shape.fields), (3, 3));
        let shape = shape_of("{ __schema { types { fields { name } } } viewer { role } }").unwrap();
        assert_eq!((shape.depth, shape.fields), (2, 6));
        // Twenty fragments each spreading the next three times: 3^20 fields, measured
        // in twenty steps.
        let mut query = String::from("{ ...F0 }");
        for level in 0..20 {
            let next = level + 1;
            query.push_str(&format!(" fragment F{level} on Query {{ ...F{next} ...F{next} ...F{next} }}"));
        }
        query.push_str(" fragment F20 on Query { viewer { role } }");
        let shape = shape_of(&query).unwrap();
        assert_eq!(shape.fields, 2 * 3usize.pow(20));
        assert!(shape_of("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }").is_err());
        let mut chain = String::from("{ ...F0 }");
        for level in 0..100 {
            chain.push_str(&format!(" fragment F{level} on Query {{ ...F{} }}", level + 1));
        }
        chain.push_str(" fragment F100 on Query { viewer { role } }");
        assert!(shape_of(&chain).is_err(), "a chain of 100 spreads nests too deep");
    }
}
