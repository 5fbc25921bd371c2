//! The product image attached to a post, when the account asks for one: downloaded from the shop with a size cap
//! (X takes images up to 5 MB) and a time limit, and accepted only when the shop says it is an image X can show.
//! Any failure here only means a post without its picture: the publisher warns and posts the text.

use std::time::Duration;

use futures::StreamExt;

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
    #[error("the image {url} could not be downloaded")]
    Download {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the image {url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is {media_type:?}, not an image X takes (JPEG, PNG, WebP, GIF)")]
    NotAnImage { url: String, media_type: String },
    #[error("the image {url} is over X's limit of {MAX_IMAGE_BYTES} bytes")]
    TooBig { url: String },
}

/// A client for downloading images, with its time limit.
pub fn image_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("dealcast/", env!("CARGO_PKG_VERSION"), " (+image for a post)"))
        .timeout(timeout)
        .build()
}

/// Downloads the image at `url`, reading at most [`MAX_IMAGE_BYTES`].
pub async fn fetch_image(http: &reqwest::Client, url: &str) -> Result<Image, ImageError> {
    let download = |source| ImageError::Download { url: url.to_string(), source };
    let response = http.get(url).send().await.map_err(download)?;
    let status = response.status();
    if !status.is_success() {
        return Err(ImageError::Status { url: url.to_string(), status: status.as_u16() });
    }
    let media_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !ACCEPTED_TYPES.contains(&media_type.as_str()) {
        return Err(ImageError::NotAnImage { url: url.to_string(), media_type });
    }
    if response.content_length().is_some_and(|length| length > MAX_IMAGE_BYTES as u64) {
        return Err(ImageError::TooBig { url: url.to_string() });
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(download)?;
        if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(ImageError::TooBig { url: url.to_string() });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Image { bytes, media_type })
}
