//! Interfaces a guest's toolchain imports by default but a connector may not use.
//!
//! componentize-js links StarlingMonkey's `fetch` unless built with `-d http fetch-event`, so its
//! components import `wasi:http`. Such a component still is a connector: the host links every
//! function of those interfaces to one that stops the job with the reason, instead of refusing to
//! instantiate it. Nothing of the network is reachable either way.

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceType};
use wasmtime::Engine;

use crate::state::{GuestState, HostStop};

/// Interface name prefixes that are linked only to be refused, with why.
const DENIED: &[(&str, &str)] = &[("wasi:http/", "connectors have no network access")];

/// The stand-in for every resource of a denied interface: none is ever created.
struct Denied;

/// A denied interface's resource: its own, or one it `use`s from `wasi:io` (then it must be the
/// very type the linked `wasi:io` defines, or the import does not type-check).
fn resource_type(name: &str) -> ResourceType {
    use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, IoError};
    match name {
        "input-stream" => ResourceType::host::<DynInputStream>(),
        "output-stream" => ResourceType::host::<DynOutputStream>(),
        "pollable" => ResourceType::host::<DynPollable>(),
        "io-error" | "error" => ResourceType::host::<IoError>(),
        _ => ResourceType::host::<Denied>(),
    }
}

/// Why an import is linked only to be refused, if it is (`connectors have no network access`).
pub fn refused_import(interface: &str) -> Option<&'static str> {
    reason(interface)
}

fn reason(interface: &str) -> Option<&'static str> {
    DENIED.iter().find(|(prefix, _)| interface.starts_with(prefix)).map(|(_, why)| *why)
}

/// `base` plus a refusing definition of every function and resource of the denied interfaces
/// `component` imports; `None` when it imports none (the shared linker is used as it is).
pub(crate) fn linker_denying(
    engine: &Engine,
    base: &Linker<GuestState>,
    component: &Component,
) -> wasmtime::Result<Option<Linker<GuestState>>> {
    let ty = component.component_type();
    let mut linker: Option<Linker<GuestState>> = None;
    for (interface, item) in ty.imports(engine) {
        let (Some(why), ComponentItem::ComponentInstance(instance)) = (reason(interface), item.ty) else { continue };
        let linker = linker.get_or_insert_with(|| base.clone());
        let mut definitions = linker.instance(interface)?;
        for (name, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::ComponentFunc(_) => {
                    let called = format!("{interface}#{name}");
                    definitions.func_new(name, move |mut store, _, _, _| {
                        let message = format!("the connector called {called}: {why}");
                        Err(store.data_mut().stop(HostStop::Limit(message)))
                    })?;
                }
                ComponentItem::Resource(_) => definitions.resource(name, resource_type(name), |_, _| Ok(()))?,
                _ => {}
            }
        }
    }
    Ok(linker)
}
