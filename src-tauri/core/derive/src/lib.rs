//! `#[derive(Coded)]`: the UI contract of a domain error, read from the enum itself.
//!
//! Every module's error enum used to carry a hand-written `impl Coded` with one arm per variant
//! and the same delegation arms for the errors it wraps. The derive writes them:
//!
//! - `code()` is the variant's `#[coded(code = "…")]`, else the enum's, else
//!   `<prefix>.<variant in snake_case>`;
//! - a variant marked `#[error(transparent)]` hands `code()`, `field()` and `fields()` to the
//!   error it wraps, so a wrapper never loses which form field its inner error was about (unless
//!   it names its own code: then the inner error is not one of ours); `#[coded(delegate)]` takes
//!   only the code of the error it wraps, for a variant with a message of its own;
//! - `field()` is the variant's `#[coded(field = "…")]`, else the enum's `field = "…"`, else what
//!   the enum's `field_with = method` answers, else none;
//! - a variant marked `#[coded(fields)]` holds a `Vec<FieldMessage>` and `fields()` returns it.
//!
//! ```ignore
//! #[derive(Debug, thiserror::Error, Coded)]
//! #[coded(prefix = "correction")]
//! pub enum CorrectionError {
//!     #[error("…")]
//!     #[coded(field = "postal_code")]
//!     OtherRecipient { now_for: String, was_for: String },
//!     #[error(transparent)]
//!     Store(#[from] StoreError),
//! }
//! ```

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Error, Fields, Ident, LitStr, Path, Variant, parse_macro_input};

#[proc_macro_derive(Coded, attributes(coded))]
pub fn derive_coded(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// What the enum's own `#[coded(…)]` says.
#[derive(Default)]
struct EnumAttributes {
    prefix: Option<LitStr>,
    code: Option<LitStr>,
    field: Option<LitStr>,
    field_with: Option<Path>,
}

/// What one variant's `#[coded(…)]` and `#[error(…)]` say.
#[derive(Default)]
struct VariantAttributes {
    code: Option<LitStr>,
    field: Option<LitStr>,
    fields: bool,
    delegate: bool,
    transparent: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Enum(data) = &input.data else {
        return Err(Error::new_spanned(input, "Coded is derived for enums only"));
    };
    let attributes = enum_attributes(input)?;
    let prefix = match (&attributes.prefix, &attributes.code) {
        (Some(prefix), _) => prefix.value(),
        (None, Some(_)) => String::new(),
        (None, None) => {
            return Err(Error::new_spanned(
                &input.ident,
                "Coded needs #[coded(prefix = \"…\")] or #[coded(code = \"…\")]",
            ));
        }
    };

    let mut codes = Vec::new();
    let mut fields_of_field = Vec::new();
    let mut fields = Vec::new();
    for variant in &data.variants {
        let own = variant_attributes(variant)?;
        let name = &variant.ident;
        let any = pattern_any(variant);
        if own.delegate {
            // A wrapper with a message of its own: the code is the inner one's, but the inner
            // error's field messages would hide the wrapper's message, so none are passed on.
            let inner = pattern_inner(variant)?;
            let any = pattern_any(variant);
            codes.push(quote! { #inner => inner.code(), });
            fields_of_field.push(quote! { #any => None, });
            continue;
        }
        if own.transparent && own.code.is_none() {
            let inner = pattern_inner(variant)?;
            codes.push(quote! { #inner => inner.code(), });
            fields_of_field.push(quote! { #inner => inner.field(), });
            fields.push(quote! { #inner => inner.fields(), });
            continue;
        }
        let code = own
            .code
            .clone()
            .or_else(|| attributes.code.clone())
            .unwrap_or_else(|| LitStr::new(&format!("{prefix}.{}", snake_case(name)), name.span()));
        codes.push(quote! { #any => #code, });
        if own.fields {
            let inner = pattern_inner(variant)?;
            fields_of_field.push(quote! { #any => None, });
            fields.push(quote! { #inner => inner.clone(), });
        } else if let Some(field) = own.field.as_ref().or(attributes.field.as_ref()) {
            fields_of_field.push(quote! { #any => Some(#field), });
        } else if let Some(with) = &attributes.field_with {
            fields_of_field.push(quote! { #any => #with(self), });
        } else {
            fields_of_field.push(quote! { #any => None, });
        }
    }

    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics crate::error::Coded for #ident #type_generics #where_clause {
            fn code(&self) -> &'static str {
                #[allow(unused_imports)]
                use crate::error::Coded as _;
                match self { #(#codes)* }
            }

            fn field(&self) -> Option<&'static str> {
                #[allow(unused_imports)]
                use crate::error::Coded as _;
                match self { #(#fields_of_field)* }
            }

            fn fields(&self) -> Vec<crate::error::FieldMessage> {
                #[allow(unused_imports)]
                use crate::error::Coded as _;
                #[allow(unreachable_patterns)]
                match self {
                    #(#fields)*
                    _ => crate::error::Coded::field(self)
                        .map(|field| crate::error::FieldMessage {
                            field: field.to_owned(),
                            message: self.to_string(),
                        })
                        .into_iter()
                        .collect(),
                }
            }
        }
    })
}

fn enum_attributes(input: &DeriveInput) -> syn::Result<EnumAttributes> {
    let mut found = EnumAttributes::default();
    for attribute in input.attrs.iter().filter(|a| a.path().is_ident("coded")) {
        attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("prefix") {
                found.prefix = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("code") {
                found.code = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("field") {
                found.field = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("field_with") {
                found.field_with = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error("expected prefix, code, field or field_with"));
            }
            Ok(())
        })?;
    }
    Ok(found)
}

fn variant_attributes(variant: &Variant) -> syn::Result<VariantAttributes> {
    let mut found = VariantAttributes::default();
    for attribute in &variant.attrs {
        if attribute.path().is_ident("coded") {
            attribute.parse_nested_meta(|meta| {
                if meta.path.is_ident("code") {
                    found.code = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("field") {
                    found.field = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("fields") {
                    found.fields = true;
                } else if meta.path.is_ident("delegate") {
                    found.delegate = true;
                } else {
                    return Err(meta.error("expected code, field, fields or delegate"));
                }
                Ok(())
            })?;
        } else if attribute.path().is_ident("error") {
            // `#[error(transparent)]` is thiserror's; any other `#[error("…")]` is a message.
            if let Ok(ident) = attribute.parse_args::<Ident>() {
                found.transparent = ident == "transparent";
            }
        }
    }
    Ok(found)
}

/// `Self::Variant`, `Self::Variant(..)` or `Self::Variant { .. }`, whatever it holds.
fn pattern_any(variant: &Variant) -> Tokens {
    let name = &variant.ident;
    match &variant.fields {
        Fields::Unit => quote! { Self::#name },
        Fields::Unnamed(_) => quote! { Self::#name(..) },
        Fields::Named(_) => quote! { Self::#name { .. } },
    }
}

/// `Self::Variant(inner)` for a variant that holds exactly one value.
fn pattern_inner(variant: &Variant) -> syn::Result<Tokens> {
    let name = &variant.ident;
    let inner = format_ident!("inner");
    match &variant.fields {
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Ok(quote! { Self::#name(#inner) }),
        _ => Err(Error::new_spanned(
            variant,
            "this variant must hold exactly one unnamed value",
        )),
    }
}

/// `OtherRecipient` → `other_recipient`.
fn snake_case(ident: &Ident) -> String {
    let mut snake = String::new();
    for (i, c) in ident.to_string().chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}
