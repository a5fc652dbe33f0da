//! The official ellipsoidal area (椭球面积) on CGCS2000.
