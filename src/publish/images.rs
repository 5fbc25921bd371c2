//! The product image attached to a post, when the account asks for one: downloaded from the shop through the
//! polite fetcher (robots.txt, the host's limits, the address policy that keeps private networks out of reach, on
//! every redirect), within X's 5 MB, and accepted only when the shop says it is an image X can show. Any failure
//! here only means a post without its picture: the publisher warns and posts the text.

use std::time::Duration;

use url::Url;

use crate::scrape::fetch::{FetchError, FetchSettings, Fetcher, PrivateHostAllowance};

/// X's limit for an image in a post.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// The image types X accepts in a post.
const ACCEPTED_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

/// An image ready to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub bytes: Vec<u8>,
    pub media_type: String,
}

/// Why no image could be attached.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the image URL {url:?} is not a URL")]
    BadUrl { url: String },
    #[error("the image {url} could not be downloaded")]
    Download {
        url: String,
        #[source]
        source: FetchError,
    },
    #[error("{url} is {media_type:?}, not an image X takes (JPEG, PNG, WebP, GIF)")]
    NotAnImage { url: String, media_type: String },
    #[error("the image {url} is over X's limit of {MAX_IMAGE_BYTES} bytes")]
    TooBig { url: String },
}

/// A fetcher for images when the caller has none to share: the polite defaults, `timeout` per attempt, one retry,
/// and the private hosts of `allowance`.
pub fn image_fetcher(timeout: Duration, allowance: PrivateHostAllowance) -> Result<Fetcher, FetchError> {
    Fetcher::new(FetchSettings {
        page_timeout: timeout,
        max_retries: 1,
        allow_private_hosts: allowance,
        ..FetchSettings::default()
    })
}

/// Downloads the image at `url`, reading at most [`MAX_IMAGE_BYTES`].
pub async fn fetch_image(fetcher: &Fetcher, url: &str) -> Result<Image, ImageError> {
    let parsed = Url::parse(url).map_err(|_| ImageError::BadUrl { url: url.to_string() })?;
    let body = match fetcher.fetch_bytes(&parsed, MAX_IMAGE_BYTES as u64).await {
        Ok(body) => body,
        Err(FetchError::TooLarge { .. }) => return Err(ImageError::TooBig { url: url.to_string() }),
        Err(source) => return Err(ImageError::Download { url: url.to_string(), source }),
    };
    let media_type = body
        .content_type
        .as_deref()
        .map(|value| value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !ACCEPTED_TYPES.contains(&media_type.as_str()) {
        return Err(ImageError::NotAnImage { url: url.to_string(), media_type });
    }
    Ok(Image { bytes: body.bytes, media_type })
}
