//! The literal pool: `=...` operands become words placed after the program at END,
//! one copy of each distinct literal text.

/// Literals in order of first use, keyed by their source text.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    /// Literal text and its size in words.
    pub entries: Vec<(String, usize)>,
    /// Word address of the first literal, once END has placed the pool.
    pub base_word: Option<u32>,
}

impl Pool {
    /// Registers a literal (first pass) and returns its index.
    pub fn intern(&mut self, text: &str, words: usize) -> usize {
        if let Some(index) = self.entries.iter().position(|(t, _)| t == text) {
            return index;
        }
        self.entries.push((text.to_string(), words));
        self.entries.len() - 1
    }

    /// Word address of a literal, once the pool is placed.
    pub fn address(&self, text: &str) -> Option<u32> {
        let base = self.base_word?;
        let mut offset = 0;
        for (t, words) in &self.entries {
            if t == text {
                return Some(base + offset);
            }
            offset += *words as u32;
        }
        None
    }

    /// Total words of the pool.
    pub fn words(&self) -> u32 {
        self.entries.iter().map(|(_, w)| *w as u32).sum()
    }
}
