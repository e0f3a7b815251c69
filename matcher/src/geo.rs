//! Distances and travel times, exactly as docs/matching.md writes them.

use crate::model::{Place, TravelMode};

/// Earth radius of the contract's haversine, km.
pub const EARTH_RADIUS_KM: f64 = 6371.0;
/// Roads are longer than the great circle by this factor.
pub const ROUTE_FACTOR: f64 = 1.3;
/// Travel times are compared with this tolerance: they are computed in f64 from
/// distances, and a 45-minute limit must not reject 45.000000001.
pub const TRAVEL_TOLERANCE_MINUTES: f64 = 1e-9;

/// Great-circle distance in km (haversine, R = 6371.0).
pub fn haversine_km(from: Place, to: Place) -> f64 {
    Spot::of(from).km_to(&Spot::of(to))
}

/// A place with the cosine of its latitude worked out once: candidate generation
/// measures one home against hundreds of openings, and [`Spot::km_to`] is the very
/// formula of [`haversine_km`], so the distances are bit for bit the same.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spot {
    lat: f64,
    lon: f64,
    cos_lat: f64,
}

impl Spot {
    /// The spot of `place`.
    pub fn of(place: Place) -> Spot {
        Spot { lat: place.lat(), lon: place.lon(), cos_lat: place.lat().to_radians().cos() }
    }

    /// Great-circle distance in km to `to`.
    pub fn km_to(&self, to: &Spot) -> f64 {
        let half_dlat = (to.lat - self.lat).to_radians() / 2.0;
        let half_dlon = (to.lon - self.lon).to_radians() / 2.0;
        let a = half_dlat.sin().powi(2) + self.cos_lat * to.cos_lat * half_dlon.sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// Minutes by one mode over a route of `route_km`.
pub fn mode_minutes(mode: TravelMode, route_km: f64) -> f64 {
    match mode {
        TravelMode::Walk => route_km / 4.5 * 60.0,
        TravelMode::Bike => route_km / 14.0 * 60.0,
        TravelMode::Transit => 10.0 + route_km / 18.0 * 60.0,
        TravelMode::Car => route_km / 35.0 * 60.0,
    }
}

/// A pick-up radius is compared with this tolerance (a micrometre), so a home set
/// exactly on the radius is inside whichever haversine variant computed it.
pub const PICKUP_TOLERANCE_KM: f64 = 1e-9;

/// The least travel time over `modes`, with the partner's car when the distance is
/// within its pick-up radius; `None` when no way exists.
pub fn least_minutes(km: f64, modes: &[TravelMode], pickup_radius_km: Option<f64>) -> Option<f64> {
    let route = ROUTE_FACTOR * km;
    let own = modes.iter().map(|mode| mode_minutes(*mode, route));
    let pickup = pickup_radius_km
        .filter(|radius| km <= *radius + PICKUP_TOLERANCE_KM)
        .map(|_| mode_minutes(TravelMode::Car, route));
    own.chain(pickup).reduce(f64::min)
}

/// True when `minutes` is within `limit`, with the contract's tolerance.
pub fn within_limit(minutes: f64, limit: f64) -> bool {
    minutes <= limit + TRAVEL_TOLERANCE_MINUTES
}

/// The farthest great-circle distance (km) one mode can cover within `limit`
/// minutes, tolerance included; a little generous, never short, so a spatial query
/// with it misses no feasible opening.
pub fn reach_km(mode: TravelMode, limit: f64) -> f64 {
    let (speed_kmh, wait) = match mode {
        TravelMode::Walk => (4.5, 0.0),
        TravelMode::Bike => (14.0, 0.0),
        TravelMode::Transit => (18.0, 10.0),
        TravelMode::Car => (35.0, 0.0),
    };
    let minutes = limit + TRAVEL_TOLERANCE_MINUTES - wait;
    if minutes < 0.0 {
        return -1.0;
    }
    (minutes * speed_kmh / 60.0 / ROUTE_FACTOR) * (1.0 + 1e-9) + 1e-9
}

/// A point on the unit sphere: straight-line (chord) distance between these grows
/// with great-circle distance, with no seam at the date line or the poles.
pub fn unit_vector(place: Place) -> [f64; 3] {
    let (lat, lon) = (place.lat().to_radians(), place.lon().to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The squared chord length on the unit sphere of a great-circle distance `km`,
/// slightly generous so rounding never drops a point on the edge.
pub fn chord_squared(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin() + 1e-9;
    chord * chord
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(lat: f64, lon: f64) -> Place {
        Place::new(lat, lon).unwrap()
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of longitude on the equator.
        let degree = haversine_km(place(0.0, 0.0), place(0.0, 1.0));
        assert!((degree - 111.194_926_6).abs() < 1e-6, "{degree}");
        // Antipodes: half the circumference, no NaN.
        let half = haversine_km(place(0.0, 0.0), place(0.0, 180.0));
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
        assert_eq!(haversine_km(place(41.9, -87.6), place(41.9, -87.6)), 0.0);
        // Across the date line.
        let across = haversine_km(place(0.0, 179.5), place(0.0, -179.5));
        assert!((across - degree).abs() < 1e-6);
    }

    #[test]
    fn mode_times_follow_the_contract() {
        assert!((mode_minutes(TravelMode::Walk, 4.5) - 60.0).abs() < 1e-12);
        assert!((mode_minutes(TravelMode::Bike, 14.0) - 60.0).abs() < 1e-12);
        assert!((mode_minutes(TravelMode::Transit, 18.0) - 70.0).abs() < 1e-12);
        assert!((mode_minutes(TravelMode::Car, 35.0) - 60.0).abs() < 1e-12);
    }

    #[test]
    fn least_time_takes_the_fastest_mode_and_pickup_inside_its_radius() {
        let km = 10.0;
        let walk = mode_minutes(TravelMode::Walk, 13.0);
        let car = mode_minutes(TravelMode::Car, 13.0);
        assert_eq!(least_minutes(km, &[TravelMode::Walk], None), Some(walk));
        assert_eq!(least_minutes(km, &[TravelMode::Walk], Some(10.0)), Some(car));
        assert_eq!(least_minutes(km, &[TravelMode::Walk], Some(9.999)), Some(walk));
        assert_eq!(least_minutes(km, &[TravelMode::Walk], Some(10.0 - 1e-6)), Some(walk));
        // Within the micrometre tolerance of the radius, the car is offered.
        let just_past = km + 1e-12;
        let car_past = mode_minutes(TravelMode::Car, ROUTE_FACTOR * just_past);
        assert_eq!(least_minutes(just_past, &[TravelMode::Walk], Some(10.0)), Some(car_past));
        assert_eq!(least_minutes(km, &[], Some(10.0)), Some(car));
        assert_eq!(least_minutes(km, &[], Some(9.0)), None);
        assert_eq!(least_minutes(km, &[], None), None);
    }

    #[test]
    fn limit_has_a_tolerance_of_a_nanominute() {
        assert!(within_limit(45.0 + 0.5e-9, 45.0));
        assert!(!within_limit(45.0 + 2e-9, 45.0));
    }

    #[test]
    fn reach_is_never_short_of_a_feasible_distance() {
        for mode in TravelMode::ALL {
            for limit in [0.0, 9.0, 10.0, 30.0, 45.5, 120.0] {
                let reach = reach_km(mode, limit);
                if reach < 0.0 {
                    assert!(!within_limit(mode_minutes(mode, 0.0), limit));
                    continue;
                }
                let at_reach = mode_minutes(mode, ROUTE_FACTOR * reach);
                let just_inside = mode_minutes(mode, ROUTE_FACTOR * reach * (1.0 - 1e-6));
                assert!(within_limit(just_inside, limit) || reach < 1e-6);
                assert!(at_reach >= limit - 1e-6);
            }
        }
    }

    #[test]
    fn chord_grows_with_distance() {
        let a = unit_vector(place(41.88, -87.62));
        let b = unit_vector(place(41.90, -87.65));
        let km = haversine_km(place(41.88, -87.62), place(41.90, -87.65));
        let chord2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!(chord2 <= chord_squared(km));
        assert!(chord2 > chord_squared(km * 0.999));
    }
}
