// Every node and link carries the display properties of version $version.
MERGE (m:Meta {name: 'display'})
SET m.value = $version
