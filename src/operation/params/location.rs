//! Where a parameter is sent and how its value is serialized: the `in` and `style` of a
//! Parameter object, with the defaults and the styles OpenAPI defines per location.

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamIn {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamIn {
    /// Reads the `in` field of a Parameter object.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "path" => Some(Self::Path),
            "query" => Some(Self::Query),
            "header" => Some(Self::Header),
            "cookie" => Some(Self::Cookie),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }

    /// The style OpenAPI assumes when a parameter names none.
    pub fn default_style(self) -> Style {
        match self {
            Self::Query | Self::Cookie => Style::Form,
            Self::Path | Self::Header => Style::Simple,
        }
    }

    /// The styles OpenAPI defines for this location.
    pub fn allowed_styles(self) -> &'static [Style] {
        match self {
            Self::Path => &[Style::Matrix, Style::Label, Style::Simple],
            Self::Query => &[
                Style::Form,
                Style::SpaceDelimited,
                Style::PipeDelimited,
                Style::DeepObject,
            ],
            Self::Header => &[Style::Simple],
            Self::Cookie => &[Style::Form],
        }
    }
}

/// A serialization style (OpenAPI "Style Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Matrix,
    Label,
    Form,
    Simple,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

impl Style {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "matrix" => Some(Self::Matrix),
            "label" => Some(Self::Label),
            "form" => Some(Self::Form),
            "simple" => Some(Self::Simple),
            "spaceDelimited" => Some(Self::SpaceDelimited),
            "pipeDelimited" => Some(Self::PipeDelimited),
            "deepObject" => Some(Self::DeepObject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matrix => "matrix",
            Self::Label => "label",
            Self::Form => "form",
            Self::Simple => "simple",
            Self::SpaceDelimited => "spaceDelimited",
            Self::PipeDelimited => "pipeDelimited",
            Self::DeepObject => "deepObject",
        }
    }
}
