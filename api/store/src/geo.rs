//! The one latitude/longitude box of the store: the database's cheap first cut
//! before the exact distance (the `near` filter of openings, and the openings a
//! student can reach in suggestions). Every place within the distance is inside the
//! box; a few outside it are too, and the caller's exact test drops them.

use matcher::geo::EARTH_RADIUS_KM;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use crate::entity::openings;

/// Slack on every side, in degrees (about 10 cm): floating-point rounding must never
/// put a place inside the distance outside the box.
const SLACK_DEGREES: f64 = 1e-6;

/// Longitudes a box covers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Longitudes {
    /// Every longitude: the circle holds a pole.
    All,
    /// From west to east.
    Range(f64, f64),
    /// Across the antimeridian: from `west` to 180, and from -180 to `east`.
    Wrapped { west: f64, east: f64 },
}

/// A box holding every place within some great-circle distance of a centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    lat: (f64, f64),
    lon: Longitudes,
}

impl Bounds {
    /// The box around (`lat`, `lon`) of great-circle radius `km` on the contract's
    /// sphere. A place at angular distance d ≤ r from a centre at latitude φ differs
    /// from it by at most r in latitude and, when the circle holds no pole, by at
    /// most asin(sin r / cos φ) in longitude.
    pub fn around(lat: f64, lon: f64, km: f64) -> Bounds {
        let radius = km.max(0.0) / EARTH_RADIUS_KM;
        let d_lat = radius.to_degrees() + SLACK_DEGREES;
        let lats = ((lat - d_lat).max(-90.0), (lat + d_lat).min(90.0));
        let phi = lat.to_radians();
        if phi.abs() + radius >= std::f64::consts::FRAC_PI_2 {
            return Bounds { lat: lats, lon: Longitudes::All };
        }
        let d_lon = (radius.sin() / phi.cos()).asin().to_degrees() + SLACK_DEGREES;
        let (west, east) = (lon - d_lon, lon + d_lon);
        let lon = if d_lon >= 180.0 {
            Longitudes::All
        } else if west < -180.0 {
            Longitudes::Wrapped { west: west + 360.0, east }
        } else if east > 180.0 {
            Longitudes::Wrapped { west, east: east - 360.0 }
        } else {
            Longitudes::Range(west, east)
        };
        Bounds { lat: lats, lon }
    }

    /// Whether the box holds (`lat`, `lon`).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let in_lat = self.lat.0 <= lat && lat <= self.lat.1;
        in_lat
            && match self.lon {
                Longitudes::All => true,
                Longitudes::Range(west, east) => west <= lon && lon <= east,
                Longitudes::Wrapped { west, east } => lon >= west || lon <= east,
            }
    }

    /// The box as a condition on `openings.lat` and `openings.lon` (which it requires
    /// to be set). Latitude comes first, so an index on `(…, lat, lon)` serves it
    /// as a range.
    pub fn condition(&self) -> Condition {
        let column = |column: openings::Column| Expr::col((openings::Entity, column));
        let mut all = Condition::all()
            .add(column(openings::Column::Lat).between(self.lat.0, self.lat.1))
            .add(column(openings::Column::Lon).is_not_null());
        match self.lon {
            Longitudes::All => {}
            Longitudes::Range(west, east) => all = all.add(column(openings::Column::Lon).between(west, east)),
            Longitudes::Wrapped { west, east } => {
                all = all.add(
                    Condition::any()
                        .add(column(openings::Column::Lon).gte(west))
                        .add(column(openings::Column::Lon).lte(east)),
                );
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use matcher::model::Place;

    use super::*;

    fn haversine(from: (f64, f64), to: (f64, f64)) -> f64 {
        let place = |(lat, lon): (f64, f64)| Place::new(lat, lon).unwrap();
        matcher::geo::haversine_km(place(from), place(to))
    }

    /// The place `km` from `from` on `bearing` (radians), on the contract's sphere.
    fn destination(from: (f64, f64), bearing: f64, km: f64) -> (f64, f64) {
        let (lat, lon) = (from.0.to_radians(), from.1.to_radians());
        let angle = km / EARTH_RADIUS_KM;
        let lat2 = (lat.sin() * angle.cos() + lat.cos() * angle.sin() * bearing.cos()).asin();
        let lon2 =
            lon + (bearing.sin() * angle.sin() * lat.cos()).atan2(angle.cos() - lat.sin() * lat2.sin());
        let lon2 = (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
        (lat2.to_degrees().clamp(-90.0, 90.0), lon2)
    }

    /// Centres all over the globe, at the poles and on both sides of the
    /// antimeridian; radii from none to a sixth of the planet; places on 72
    /// bearings at shares of the radius up to the circle itself.
    #[test]
    fn a_box_holds_every_place_within_its_radius() {
        let centres = [
            (41.88, -87.63),
            (0.0, 0.0),
            (-33.9, 151.2),
            (64.1, -21.9),
            (89.99, 10.0),
            (-89.9, -170.0),
            (10.0, 179.99),
            (-20.0, -179.95),
            (78.2, 15.6),
        ];
        for centre in centres {
            for km in [0.0, 0.5, 3.0, 25.7, 120.0, 2000.0, 7000.0] {
                let bounds = Bounds::around(centre.0, centre.1, km);
                for step in 0..72 {
                    let bearing = f64::from(step) * std::f64::consts::TAU / 72.0;
                    for share in [0.25, 0.9, 0.999_999, 1.0] {
                        let place = destination(centre, bearing, km * share);
                        let inside = haversine(centre, place) <= km;
                        assert!(
                            !inside || bounds.contains(place.0, place.1),
                            "{centre:?} {km} km: {place:?} not in {bounds:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_box_is_tight_away_from_the_poles_and_wraps_at_the_antimeridian() {
        let bounds = Bounds::around(41.88, -87.63, 20.0);
        let Longitudes::Range(west, east) = bounds.lon else { panic!("{bounds:?}") };
        assert!((bounds.lat.1 - bounds.lat.0 - 2.0 * 20.0 / 111.195).abs() < 1e-3);
        assert!(east - west < 0.5 && !bounds.contains(41.88, -87.0));
        let wrapped = Bounds::around(0.0, 179.9, 20.0);
        assert!(matches!(wrapped.lon, Longitudes::Wrapped { .. }));
        assert!(
            wrapped.contains(0.0, -179.95) && wrapped.contains(0.0, 179.85) && !wrapped.contains(0.0, 0.0)
        );
        assert_eq!(Bounds::around(89.9, 0.0, 20.0).lon, Longitudes::All);
    }
}
