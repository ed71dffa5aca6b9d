//! __CONNECTOR__: an iTwin connector for itwin-host. It reads `data/sample.json`-like files —
//! `{"revision": "1", "items": [{"id", "name", "position": [x, y, z], "size": [x, y, z]}]}`
//! in metres — and writes each item as a box (a Generic:PhysicalObject), with change detection:
//! run it again on a new revision and only what changed is written; items that left the file
//! are deleted by the host.

use itwin_connector::props::PartitionKind;
use itwin_connector::{
    checksum, export_connector, item, sync, Appearance, Connector, Context, Counts, Error, Geometry, Info, ItemState,
    LogLevel, PhysicalElement, Placement, SourceDocument, SpatialCategory,
};
use serde::{Deserialize, Serialize};

/// The source file.
#[derive(Deserialize)]
struct Source {
    revision: String,
    items: Vec<Item>,
}

/// One item of the source: what its checksum covers.
#[derive(Serialize, Deserialize)]
struct Item {
    id: String,
    name: String,
    position: [f64; 3],
    size: [f64; 3],
}

struct __CONNECTOR__ {
    source: Source,
    changed: bool,
}

export_connector!(__CONNECTOR__);

impl Connector for __CONNECTOR__ {
    fn info() -> Info {
        Info::new("__CONNECTOR__", env!("CARGO_PKG_VERSION"), "Writes the items of a JSON file as boxes")
    }

    fn open_source_data(path: &str) -> Result<Self, Error> {
        let source: Source = serde_json::from_slice(&std::fs::read(path)?).context(path)?;
        let document = sync::record_document(&SourceDocument {
            docid: path.rsplit('/').next().unwrap_or(path).to_owned(),
            description: None,
            last_modified: Some(source.revision.clone()),
            checksum: None,
            url: None,
        })?;
        Ok(__CONNECTOR__ { source, changed: document.state != ItemState::Unchanged })
    }

    fn initialize_job(&mut self) -> Result<(), Error> {
        sync::insert_partition(PartitionKind::Physical, "Items")?;
        let definitions = sync::insert_partition(PartitionKind::Definition, "Definitions")?;
        let category = sync::insert_element(&SpatialCategory::new(&definitions, "Items"))?;
        sync::set_sub_category_appearance(&category, &Appearance::color("#2a9d8f")?)
    }

    fn update_existing_data(&mut self) -> Result<(), Error> {
        if !self.changed {
            return Ok(()); // the same revision: the host keeps every element
        }
        let model = sync::find_model("Items")?;
        let definitions = sync::find_model("Definitions")?;
        let category = sync::find_element(&itwin_connector::Code::new("bis:SpatialCategory", &definitions, "Items"))?
            .ok_or("category Items is missing")?;
        let items: Vec<_> = self.source.items.iter().map(|i| item(i.id.clone(), "Item", None, checksum(i))).collect();
        let mut counts = Counts::default();
        let mut writes = Vec::new();
        let changes = sync::detect_all(&items)?;
        for ((source, item), change) in self.source.items.iter().zip(items).zip(changes) {
            counts.add(change.state);
            match change.element_id {
                Some(id) if change.state == ItemState::Unchanged => sync::seen(&id),
                _ => writes.push((item, element(source, &model, &category))),
            }
        }
        sync::update_all(&writes)?;
        sync::log(LogLevel::Info, format!("items: {counts}"));
        Ok(())
    }
}

/// An item as a box standing on its position, centred on it in plan.
fn element(item: &Item, model: &str, category: &str) -> PhysicalElement {
    let [x, y, z] = item.size;
    PhysicalElement::new(model, category, Placement::at(item.position))
        .label(&item.name)
        .geometry(Geometry::boxed([-x / 2.0, -y / 2.0, 0.0], [x, y, z]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_a_box_standing_on_its_position() {
        let item = Item { id: "m1".into(), name: "Pin 1".into(), position: [1.0, 2.0, 0.0], size: [2.0, 1.0, 3.0] };
        let props = serde_json::to_value(element(&item, "0x20", "0x11")).unwrap();
        assert_eq!(props["userLabel"], "Pin 1");
        assert_eq!(props["placement"]["origin"], serde_json::json!([1.0, 2.0, 0.0]));
        assert_eq!(props["geom"][0]["box"]["baseOrigin"], serde_json::json!([-1.0, -0.5, 0.0]));
        assert_eq!(props["geom"][0]["box"]["topOrigin"], serde_json::json!([-1.0, -0.5, 3.0]));
    }
}
