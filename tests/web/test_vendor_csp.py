"""The bundled OpenLayers runs under the page's Content-Security-Policy: a map with the
shipped geodata draws, hit-tests a feature, shows its scale and takes a Draw interaction,
and the browser reports no violation of the policy."""

from __future__ import annotations

from typing import Any

from web.screens import WebServer

SCRIPT = """async () => {
  const violations = [];
  document.addEventListener("securitypolicyviolation",
    (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  const ol = await import("/static/vendor/ol.js");
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/static/vendor/ol.css";
  document.head.appendChild(css);
  const target = document.createElement("div");
  target.style.width = "400px";
  target.style.height = "300px";
  document.body.appendChild(target);
  const geo = await (await fetch("/static/geo/places.geojson")).json();
  const format = new ol.GeoJSON({ featureProjection: "EPSG:3857" });
  const places = new ol.VectorSource({ features: format.readFeatures(geo) });
  const site = new ol.Feature(new ol.Point(ol.fromLonLat([38.0, 35.0])));
  const own = new ol.VectorSource({ features: [site] });
  const map = new ol.OlMap({
    target,
    layers: [new ol.VectorLayer({ source: places, declutter: true }),
             new ol.VectorLayer({ source: own })],
    view: new ol.View({ center: ol.fromLonLat([38.0, 35.0]), zoom: 6 }),
  });
  map.addControl(new ol.ScaleLine());
  map.addInteraction(new ol.Draw({ source: own, type: "Point" }));
  await new Promise((done) => map.once("rendercomplete", done));
  const hit = map.getFeaturesAtPixel(map.getPixelFromCoordinate(ol.fromLonLat([38.0, 35.0])));
  return {
    version: ol.VERSION,
    places: places.getFeatures().length,
    hit: hit.includes(site),
    scale: target.querySelector(".ol-scale-line-inner")?.textContent || "",
    violations,
  };
}"""


def test_bundled_openlayers_runs_under_the_csp(browser: Any, server: WebServer) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{server.url}/")
        result = page.evaluate(SCRIPT)
    finally:
        context.close()
    assert result["violations"] == []
    assert result["version"] == "10.11.0"
    assert result["places"] > 0
    assert result["hit"], "a click on the feature finds it"
    assert result["scale"].endswith("km")
    assert [u for u in requested if not u.startswith((server.url, "data:"))] == []
