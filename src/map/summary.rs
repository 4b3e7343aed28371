//! A short, human-readable account of a loaded map for `chainwatch map check`.

use std::fmt;

use super::compiled::ChainMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub home: String,
    pub chains: Vec<String>,
    pub items: usize,
    pub assembled_items: usize,
    pub firms: usize,
    pub countries: usize,
    pub production_lines: usize,
    pub dependency_edges: usize,
    pub substitutes: usize,
    pub key_nodes: usize,
}

impl Summary {
    pub fn of(map: &ChainMap) -> Summary {
        Summary {
            home: map.country_code(map.home).to_string(),
            chains: map.chains.iter().map(|c| c.id.clone()).collect(),
            items: map.items.len(),
            assembled_items: (0..map.items.len() as u32)
                .filter(|i| map.is_assembled(*i))
                .count(),
            firms: map.firms.len(),
            countries: map.country_count(),
            production_lines: map.line_count(),
            dependency_edges: map.dependency_edges(),
            substitutes: (0..map.items.len() as u32)
                .map(|i| map.substitutes(i).len())
                .sum(),
            key_nodes: map.chains.iter().map(|c| c.key_nodes.len()).sum(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "chain map ok")?;
        writeln!(f, "  home country      {}", self.home)?;
        writeln!(f, "  chains            {}", self.chains.join(", "))?;
        writeln!(
            f,
            "  items             {} ({} made in place from their inputs)",
            self.items, self.assembled_items
        )?;
        writeln!(f, "  firms             {}", self.firms)?;
        writeln!(f, "  countries         {}", self.countries)?;
        writeln!(f, "  production lines  {}", self.production_lines)?;
        writeln!(f, "  dependency edges  {}", self.dependency_edges)?;
        writeln!(f, "  substitutes       {}", self.substitutes)?;
        write!(f, "  key nodes         {}", self.key_nodes)
    }
}
