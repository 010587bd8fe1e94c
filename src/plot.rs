//! Plots drawn without a plotting library: an RGB canvas with lines, boxes and text in a 3×5 font.

/// An RGB image to draw plots on.
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    /// RGB bytes, row by row.
    pub px: Vec<u8>,
}

/// 3×5 glyphs, one row of 3 bits per digit of the octal-ish code (top row first).
fn glyph(c: char) -> [u8; 5] {
    match c.to_ascii_lowercase() {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '.' => [0, 0, 0, 0, 2],
        '-' => [0, 0, 7, 0, 0],
        '_' => [0, 0, 0, 0, 7],
        '=' => [0, 7, 0, 7, 0],
        ':' => [0, 2, 0, 2, 0],
        '/' => [1, 1, 2, 4, 4],
        '(' => [2, 4, 4, 4, 2],
        ')' => [2, 1, 1, 1, 2],
        '+' => [0, 2, 7, 2, 0],
        '%' => [5, 1, 2, 4, 5],
        'a' => [2, 5, 7, 5, 5],
        'b' => [6, 5, 6, 5, 6],
        'c' => [7, 4, 4, 4, 7],
        'd' => [6, 5, 5, 5, 6],
        'e' => [7, 4, 6, 4, 7],
        'f' => [7, 4, 6, 4, 4],
        'g' => [7, 4, 5, 5, 7],
        'h' => [5, 5, 7, 5, 5],
        'i' => [7, 2, 2, 2, 7],
        'j' => [1, 1, 1, 5, 7],
        'k' => [5, 5, 6, 5, 5],
        'l' => [4, 4, 4, 4, 7],
        'm' => [5, 7, 7, 5, 5],
        'n' => [6, 5, 5, 5, 5],
        'o' => [7, 5, 5, 5, 7],
        'p' => [7, 5, 7, 4, 4],
        'q' => [7, 5, 5, 7, 1],
        'r' => [6, 5, 6, 5, 5],
        's' => [7, 4, 7, 1, 7],
        't' => [7, 2, 2, 2, 2],
        'u' => [5, 5, 5, 5, 7],
        'v' => [5, 5, 5, 5, 2],
        'w' => [5, 5, 7, 7, 5],
        'x' => [5, 5, 2, 5, 5],
        'y' => [5, 5, 2, 2, 2],
        'z' => [7, 1, 2, 4, 7],
        _ => [0; 5],
    }
}

impl Canvas {
    /// A white canvas.
    pub fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: vec![255; w * h * 3],
        }
    }

    pub fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if (0..self.w as i64).contains(&x) && (0..self.h as i64).contains(&y) {
            let at = (y as usize * self.w + x as usize) * 3;
            self.px[at..at + 3].copy_from_slice(&c);
        }
    }

    pub fn rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for x in x0..=x1 {
            self.set(x as i64, y0 as i64, c);
            self.set(x as i64, y1 as i64, c);
        }
        for y in y0..=y1 {
            self.set(x0 as i64, y as i64, c);
            self.set(x1 as i64, y as i64, c);
        }
    }

    pub fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 3]) {
        let n = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
        for i in 0..=n {
            self.set(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n, c);
        }
    }

    /// A filled rectangle.
    pub fn fill(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for y in y0..=y1 {
            for x in x0..=x1 {
                self.set(x as i64, y as i64, c);
            }
        }
    }

    /// Writes the canvas as an RGB PNG.
    pub fn write(&self, path: &std::path::Path) -> Result<(), String> {
        crate::image::write_png(path, self.w, self.h, 3, &self.px)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Text at 2× scale (each glyph 6×10 pixels plus spacing).
    pub fn text(&mut self, x: usize, y: usize, s: &str, c: [u8; 3]) {
        for (k, ch) in s.chars().enumerate() {
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                            self.set(
                                (x + k * 8 + col * 2 + dx) as i64,
                                (y + row * 2 + dy) as i64,
                                c,
                            );
                        }
                    }
                }
            }
        }
    }
}
