//! The two faces a report uses (regular and bold), picked from font files or collections, with
//! what layout needs of them: glyphs of characters and their advances.

use std::fmt;
use std::sync::Arc;

use skrifa::instance::{LocationRef, Size};
use skrifa::raw::TableProvider;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

/// Why no report can be made with the fonts found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FontError {
    /// No file held a face with Chinese characters.
    NoCjkFont,
}

impl fmt::Display for FontError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FontError::NoCjkFont => write!(
                f,
                "no CJK font found: install fonts-noto-cjk (or fonts-wqy-zenhei), or set \
                 MINSHENG_FONTS_DIR to a folder of .ttf/.otf/.ttc files"
            ),
        }
    }
}

impl std::error::Error for FontError {}

/// One face of a font file: its bytes (shared), its index in a collection and its metrics.
#[derive(Clone)]
pub(crate) struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    units_per_em: f32,
    pub(crate) pdf: krilla::text::Font,
}

impl Face {
    fn new(data: Arc<Vec<u8>>, index: u32) -> Option<Face> {
        let font = FontRef::from_index(data.as_slice(), index).ok()?;
        let units_per_em = f32::from(font.head().ok()?.units_per_em().max(1));
        let shared: Arc<dyn AsRef<[u8]> + Send + Sync> = data.clone();
        let pdf = krilla::text::Font::new(shared.into(), index)?;
        Some(Face {
            data,
            index,
            units_per_em,
            pdf,
        })
    }

    pub(crate) fn font_ref(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(self.data.as_slice(), self.index).ok()
    }

    /// Glyphs of the characters with their advances in ems (a missing character takes the
    /// font's empty box, glyph 0, so nothing shifts).
    pub(crate) fn glyphs(&self, text: &str) -> Vec<(u32, f32)> {
        let Some(font) = self.font_ref() else {
            return text.chars().map(|_| (0, 0.5)).collect();
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        text.chars()
            .map(|ch| {
                let glyph = charmap.map(ch).unwrap_or_default();
                let advance = metrics
                    .advance_width(glyph)
                    .unwrap_or(self.units_per_em / 2.0);
                (glyph.to_u32(), advance / self.units_per_em)
            })
            .collect()
    }

    /// Width in points of `text` at `size`.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        self.glyphs(text).iter().map(|(_, a)| a).sum::<f32>() * size
    }
}

/// The regular and bold faces of a report. Cheap to clone (the bytes are shared).
#[derive(Clone)]
pub struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
    /// No bold face was found: bold text is drawn with the regular face, filled and outlined.
    pub(crate) synthetic_bold: bool,
}

impl fmt::Debug for Fonts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonts")
            .field("regular", &self.regular.index)
            .field("bold", &self.bold.index)
            .field("synthetic_bold", &self.synthetic_bold)
            .finish()
    }
}

/// A face that can write Chinese, and how well it suits a report.
struct Candidate {
    face: Face,
    bold: bool,
    /// Simplified Chinese faces first (a collection holds SC, TC, JP and KR variants whose
    /// glyphs differ), then sans-serif.
    rank: u8,
}

impl Fonts {
    /// Picks the faces from font files (each a font or a collection).
    pub fn from_files(files: Vec<Vec<u8>>) -> Result<Fonts, FontError> {
        let mut candidates = Vec::new();
        for data in files {
            let data = Arc::new(data);
            for index in 0..64 {
                let Ok(font) = FontRef::from_index(data.as_slice(), index) else {
                    break;
                };
                if font.charmap().map('中').is_none() || font.charmap().map('A').is_none() {
                    continue;
                }
                let family: String = font
                    .localized_strings(StringId::FAMILY_NAME)
                    .english_or_first()
                    .map(|s| s.chars().collect())
                    .unwrap_or_default();
                let bold = font.attributes().weight.value() >= 600.0;
                let rank = u8::from(!(family.contains(" SC") || family.contains("Zen Hei"))) * 2
                    + u8::from(family.contains("Serif"));
                if let Some(face) = Face::new(data.clone(), index) {
                    candidates.push(Candidate { face, bold, rank });
                }
            }
        }
        let best = |bold: bool| {
            candidates
                .iter()
                .filter(|c| c.bold == bold)
                .min_by_key(|c| c.rank)
                .map(|c| c.face.clone())
        };
        let regular = best(false)
            .or_else(|| best(true))
            .ok_or(FontError::NoCjkFont)?;
        match best(true) {
            Some(bold) => Ok(Fonts {
                regular,
                bold,
                synthetic_bold: false,
            }),
            None => Ok(Fonts {
                bold: regular.clone(),
                regular,
                synthetic_bold: true,
            }),
        }
    }

    pub(crate) fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}
