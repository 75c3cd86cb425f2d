//! Assessment of households. So far: the Alkire–Foster multidimensional poverty measures (the
//! method behind the global MPI). Pure computation: no IO.

pub mod mpi;
