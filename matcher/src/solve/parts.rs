//! The Dulmage–Mendelsohn split of a component, so each part's searches start on
//! the side that runs out.
//!
//! Take any maximum-cardinality matching. Rows reachable by alternating paths from
//! an unmatched row, with the columns they reach, form the *row-surplus* part: in
//! every maximum matching its columns are full and filled only from its rows.
//! Columns reachable from a column with a free slot, with the rows they reach,
//! form the *slot-surplus* part: in every maximum matching its rows are matched,
//! only within it. The rest is matched perfectly. Edges between parts are in no
//! maximum matching, so the lexicographic optimum (count, then weight) is the union
//! of each part's optimum, and each part can be rooted on its scarce side, where a
//! search always finds a free partner nearby instead of exploring its whole region.
//!
//! Cost: for the matching, Hopcroft–Karp phases (a breadth-first layering, then
//! depth-first searches along shortest augmenting paths that share visited
//! marks), O(E) each and O(√V) of them, after the first from the side with fewer
//! unfilled nodes (a row-surplus component's phases from its rows passed over
//! tens of thousands of rows that stay unmatched: 123 ms for the 100k city's
//! mentoring, 15 ms from its columns); O(E) for the split.

use super::Component;

const NONE: u32 = u32::MAX;

/// Where a node lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// More rows than slots: slots are the roots.
    RowSurplus,
    /// More slots than rows: rows are the roots.
    SlotSurplus,
    /// Matched perfectly.
    Perfect,
}

/// Parts of every row and column of a component.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Split {
    pub rows: Vec<Part>,
    pub columns: Vec<Part>,
}

pub(super) fn split(component: &Component) -> Split {
    split_from(component, Grow::Layered)
}

/// How the split's maximum matching grows. Phases of depth-first searches from
/// one side cost a pass over that side's unfilled nodes each, and a district's
/// big components keep many on both sides: on the 1M-student clustered city
/// (tutoring: 548k rows that stay unmatched, 60k columns with slots to spare)
/// hundreds of phases took 33 s against 2.6 s for the component's solve.
/// Hopcroft–Karp's layered phases, O(√V) of them, took that city from 65 s to
/// 35 s end to end; the plain phases stay as the tests' cross-check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Grow {
    /// Phases of searches from the rows.
    #[cfg_attr(not(test), allow(dead_code))]
    FromRows,
    /// Hopcroft–Karp phases: a breadth-first layering, then searches along
    /// shortest augmenting paths only; from the rows for the first (greedy)
    /// phase, then from whichever side has fewer unfilled nodes left.
    Layered,
    /// Hopcroft–Karp phases from the columns only (for tests).
    #[cfg_attr(not(test), allow(dead_code))]
    FromSlots,
}

/// [`split`], its matching grown as `grow` says.
pub(super) fn split_from(component: &Component, grow: Grow) -> Split {
    let by_column = ByColumn::of(component);
    let matching = Matching::maximum(component, &by_column, grow);
    let n_rows = component.n_rows();
    let n_columns = component.columns.len();
    let mut rows = vec![Part::Perfect; n_rows];
    let mut columns = vec![Part::Perfect; n_columns];

    let mut queue: Vec<u32> =
        (0..n_rows as u32).filter(|row| matching.row_column[*row as usize] == NONE).collect();
    for row in &queue {
        rows[*row as usize] = Part::RowSurplus;
    }
    while let Some(row) = queue.pop() {
        for (column, _) in component.edges(row as usize) {
            if columns[column as usize] == Part::RowSurplus {
                continue;
            }
            columns[column as usize] = Part::RowSurplus;
            for &member in &matching.members[column as usize] {
                if rows[member as usize] != Part::RowSurplus {
                    rows[member as usize] = Part::RowSurplus;
                    queue.push(member);
                }
            }
        }
    }

    let mut queue: Vec<u32> = (0..n_columns as u32)
        .filter(|column| {
            matching.members[*column as usize].len() < component.capacities[*column as usize] as usize
        })
        .collect();
    for column in &queue {
        columns[*column as usize] = Part::SlotSurplus;
    }
    // Seen as slots, a column reached by any of its slots reaches every row it
    // borders: the free (or reached) slot's edges to them are all unmatched.
    while let Some(column) = queue.pop() {
        for &row in by_column.rows(column) {
            let matched = matching.row_column[row as usize];
            if rows[row as usize] == Part::SlotSurplus {
                continue;
            }
            rows[row as usize] = Part::SlotSurplus;
            if matched != NONE && columns[matched as usize] != Part::SlotSurplus {
                columns[matched as usize] = Part::SlotSurplus;
                queue.push(matched);
            }
        }
    }
    Split { rows, columns }
}

/// The rows beside each column, ascending, in one array (a million students'
/// kinds have tens of millions of edges: one vector per column cost as much as
/// the matching).
struct ByColumn {
    starts: Vec<usize>,
    rows: Vec<u32>,
}

impl ByColumn {
    fn of(component: &Component) -> ByColumn {
        let n_columns = component.columns.len();
        let mut starts = vec![0usize; n_columns + 1];
        for row in 0..component.n_rows() {
            for (column, _) in component.edges(row) {
                starts[column as usize + 1] += 1;
            }
        }
        for column in 0..n_columns {
            starts[column + 1] += starts[column];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; starts[n_columns]];
        for row in 0..component.n_rows() {
            for (column, _) in component.edges(row) {
                rows[next[column as usize]] = row as u32;
                next[column as usize] += 1;
            }
        }
        ByColumn { starts, rows }
    }

    fn rows(&self, column: u32) -> &[u32] {
        &self.rows[self.starts[column as usize]..self.starts[column as usize + 1]]
    }
}

/// A maximum-cardinality matching with column capacities.
struct Matching {
    row_column: Vec<u32>,
    members: Vec<Vec<u32>>,
}

/// A frame of the iterative depth-first search for an augmenting path.
#[derive(Clone, Copy)]
enum Frame {
    /// At a row, trying its edges from this position.
    Row { row: u32, next_edge: usize },
    /// At a full column, trying to move its members from this position.
    Column { column: u32, next_member: usize },
}

/// A frame of the search back from a column with room: at `column`, reached
/// through the row `via` that it holds (none at the root), trying the rows
/// beside it from this position.
#[derive(Clone, Copy)]
struct Back {
    column: u32,
    via: u32,
    next_row: usize,
}

/// Unreached, in [`Layers`].
const FAR: u32 = u32::MAX;

/// Hopcroft–Karp's layering: each row's and column's distance (in edges) from
/// the unmatched rows along alternating paths, up to the nearest free slot.
struct Layers {
    row: Vec<u32>,
    column: Vec<u32>,
}

impl Matching {
    /// A maximum matching, grown as `grow` says ([`Grow`]); in every way the last
    /// phase proves no augmenting path is left.
    fn maximum(component: &Component, by_column: &ByColumn, grow: Grow) -> Matching {
        let n_rows = component.n_rows();
        let n_columns = component.columns.len();
        let mut matching = Matching { row_column: vec![NONE; n_rows], members: vec![Vec::new(); n_columns] };
        let mut visited = vec![0u32; n_columns];
        let mut layers =
            (grow != Grow::FromRows).then(|| Layers { row: vec![FAR; n_rows], column: vec![FAR; n_columns] });
        let mut stack: Vec<Frame> = Vec::new();
        let mut phase = 0u32;
        loop {
            let roots: Vec<u32> =
                (0..n_rows as u32).filter(|row| matching.row_column[*row as usize] == NONE).collect();
            // After the greedy phase a row-surplus component keeps most of its
            // rows unmatched and few columns with room: a phase from the rows
            // passes over all of them, one from the columns only near the room.
            let from_columns = match grow {
                Grow::FromRows => false,
                Grow::FromSlots => true,
                Grow::Layered => {
                    phase == 1
                        && (0..n_columns as u32)
                            .filter(|column| matching.has_room(component, *column))
                            .count()
                            < roots.len()
                }
            };
            if from_columns && let Some(layers) = layers.as_mut() {
                matching.grow_from_columns(component, by_column, phase, layers);
                return matching;
            }
            if let Some(layers) = layers.as_mut()
                && !matching.layer(component, &roots, layers)
            {
                return matching;
            }
            phase += 1;
            let mut grew = false;
            for root in roots {
                grew |= matching.augment(component, root, phase, &mut visited, &mut stack, layers.as_ref());
            }
            if !grew {
                return matching;
            }
        }
    }

    /// Lays out `layers` from `roots` (the unmatched rows) breadth first, up to
    /// the layer of the nearest column with room; false if none is reachable.
    fn layer(&self, component: &Component, roots: &[u32], layers: &mut Layers) -> bool {
        layers.row.fill(FAR);
        layers.column.fill(FAR);
        let mut queue: Vec<u32> = roots.to_vec();
        for root in roots {
            layers.row[*root as usize] = 0;
        }
        let mut nearest = FAR;
        let mut head = 0;
        while let Some(&row) = queue.get(head) {
            head += 1;
            let distance = layers.row[row as usize];
            if distance >= nearest {
                break;
            }
            for (column, _) in component.edges(row as usize) {
                let c = column as usize;
                if self.row_column[row as usize] == column || layers.column[c] != FAR {
                    continue;
                }
                layers.column[c] = distance + 1;
                if self.has_room(component, column) {
                    nearest = distance + 1;
                    continue;
                }
                for &member in &self.members[c] {
                    if layers.row[member as usize] == FAR {
                        layers.row[member as usize] = distance + 2;
                        queue.push(member);
                    }
                }
            }
        }
        nearest != FAR
    }

    /// Hopcroft–Karp phases from the columns with room, after `phase` phases
    /// from the rows: each lays the alternating paths back from those columns
    /// (column, a row beside it, the column that row is in, …) up to the nearest
    /// unmatched row, then follows the shortest ones.
    fn grow_from_columns(
        &mut self,
        component: &Component,
        by_column: &ByColumn,
        mut phase: u32,
        layers: &mut Layers,
    ) {
        let mut visited = vec![0u32; component.n_rows()];
        let mut stack: Vec<Back> = Vec::new();
        loop {
            let roots: Vec<u32> = (0..component.columns.len() as u32)
                .filter(|column| self.has_room(component, *column))
                .collect();
            if !self.layer_back(by_column, &roots, layers) {
                return;
            }
            phase += 1;
            let mut grew = false;
            for root in roots {
                while self.has_room(component, root)
                    && self.augment_back(by_column, root, phase, &mut visited, &mut stack, layers)
                {
                    grew = true;
                }
            }
            if !grew {
                return;
            }
        }
    }

    /// [`Matching::layer`] seen from the columns: `roots` (the columns with room)
    /// at layer 0, up to the layer of the nearest unmatched row; false if none is
    /// reachable.
    fn layer_back(&self, by_column: &ByColumn, roots: &[u32], layers: &mut Layers) -> bool {
        layers.row.fill(FAR);
        layers.column.fill(FAR);
        let mut queue: Vec<u32> = roots.to_vec();
        for root in roots {
            layers.column[*root as usize] = 0;
        }
        let mut nearest = FAR;
        let mut head = 0;
        while let Some(&column) = queue.get(head) {
            head += 1;
            let distance = layers.column[column as usize];
            if distance >= nearest {
                break;
            }
            for &row in by_column.rows(column) {
                let r = row as usize;
                let from = self.row_column[r];
                if from == column || layers.row[r] != FAR {
                    continue;
                }
                layers.row[r] = distance + 1;
                if from == NONE {
                    nearest = distance + 1;
                } else if layers.column[from as usize] == FAR {
                    layers.column[from as usize] = distance + 2;
                    queue.push(from);
                }
            }
        }
        nearest != FAR
    }

    /// Looks for a shortest alternating path from the column `root` back to an
    /// unmatched row, skipping rows already visited in this phase, and flips it:
    /// each row on it moves one column towards the root.
    fn augment_back(
        &mut self,
        by_column: &ByColumn,
        root: u32,
        phase: u32,
        visited: &mut [u32],
        stack: &mut Vec<Back>,
        layers: &Layers,
    ) -> bool {
        stack.clear();
        stack.push(Back { column: root, via: NONE, next_row: 0 });
        while let Some(frame) = stack.last_mut() {
            let column = frame.column;
            let Some(&row) = by_column.rows(column).get(frame.next_row) else {
                stack.pop();
                continue;
            };
            frame.next_row += 1;
            let r = row as usize;
            let from = self.row_column[r];
            if visited[r] == phase || from == column || layers.row[r] != layers.column[column as usize] + 1 {
                continue;
            }
            visited[r] = phase;
            if from == NONE {
                self.flip_back(stack, row);
                return true;
            }
            if layers.column[from as usize] == layers.row[r] + 1 {
                stack.push(Back { column: from, via: row, next_row: 0 });
            }
        }
        false
    }

    /// The stack goes root column, column, …, each reached through the row it
    /// holds (`via`); `free` is unmatched and borders the last. It joins the last
    /// column, and each `via` row moves into the column before its own.
    fn flip_back(&mut self, stack: &[Back], free: u32) {
        let mut row = free;
        for at in (0..stack.len()).rev() {
            let column = stack[at].column;
            let previous = self.row_column[row as usize];
            if previous != NONE {
                let members = &mut self.members[previous as usize];
                if let Some(position) = members.iter().position(|member| *member == row) {
                    members.swap_remove(position);
                }
            }
            self.row_column[row as usize] = column;
            self.members[column as usize].push(row);
            row = stack[at].via;
        }
    }

    fn has_room(&self, component: &Component, column: u32) -> bool {
        self.members[column as usize].len() < component.capacities[column as usize] as usize
    }

    /// Looks for an augmenting path from `root`, skipping columns already visited
    /// in this phase (a column that led nowhere still leads nowhere), and flips it.
    fn augment(
        &mut self,
        component: &Component,
        root: u32,
        phase: u32,
        visited: &mut [u32],
        stack: &mut Vec<Frame>,
        layers: Option<&Layers>,
    ) -> bool {
        stack.clear();
        stack.push(Frame::Row { row: root, next_edge: component.range(root as usize).start });
        while let Some(frame) = stack.last_mut() {
            match frame {
                Frame::Row { row, next_edge } => {
                    let row = *row as usize;
                    if *next_edge == component.range(row).end {
                        stack.pop();
                        continue;
                    }
                    let column = component.edge_columns[*next_edge];
                    *next_edge += 1;
                    let c = column as usize;
                    if visited[c] == phase || self.row_column[row] == column {
                        continue;
                    }
                    if layers.is_some_and(|layers| layers.column[c] != layers.row[row] + 1) {
                        continue;
                    }
                    // Only a full column is marked: one with room takes the path
                    // and may take another in this phase. (Marking it too filled a
                    // column by one slot a phase: eight phases, not three, on the
                    // 100k city's mentoring.)
                    if self.has_room(component, column) {
                        self.flip(stack, column);
                        return true;
                    }
                    visited[c] = phase;
                    stack.push(Frame::Column { column, next_member: 0 });
                }
                Frame::Column { column, next_member } => {
                    let members = &self.members[*column as usize];
                    if *next_member == members.len() {
                        stack.pop();
                        continue;
                    }
                    let member = members[*next_member];
                    *next_member += 1;
                    let column = *column as usize;
                    if layers.is_some_and(|layers| layers.row[member as usize] != layers.column[column] + 1) {
                        continue;
                    }
                    stack.push(Frame::Row { row: member, next_edge: component.range(member as usize).start });
                }
            }
        }
        false
    }

    /// The stack alternates row, column, row, …, row; `free` has room. Each row
    /// moves into the next column on the path, the last into `free`.
    fn flip(&mut self, stack: &[Frame], free: u32) {
        let mut target = free;
        for frame in stack.iter().rev() {
            match *frame {
                Frame::Row { row, .. } => {
                    let previous = self.row_column[row as usize];
                    if previous != NONE {
                        let members = &mut self.members[previous as usize];
                        if let Some(at) = members.iter().position(|member| *member == row) {
                            members.swap_remove(at);
                        }
                    }
                    self.row_column[row as usize] = target;
                    self.members[target as usize].push(row);
                    target = previous;
                }
                Frame::Column { .. } => {}
            }
        }
    }
}
