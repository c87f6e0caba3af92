// Shared by every Nibble compute shader.
// Specialization constant 0 is the workgroup size in every shader, so the host
// can size workgroups per device (subgroup size, shared memory) without
// recompiling.
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
