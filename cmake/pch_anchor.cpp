// The one source of the targets that build wedge's precompiled headers
// (cmake/precompiled_headers.cmake); it defines nothing.
