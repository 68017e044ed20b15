//! Host-side bindings generated from `wit/plugin.wit` (world `any-plugin`; each export is bound separately).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "wasmq:plugin/any-plugin",
    additional_derives: [PartialEq],
});

pub(crate) use exports::wasmq::plugin::{
    filter, plugin, retention, route_policy, router, transform,
};
pub(crate) use wasmq::plugin::types;
